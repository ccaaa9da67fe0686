"""Redis ACL + TLS and Elasticsearch users, API keys and HTTPS, against real servers started with auth on.

The session fixture starts the secured pair of `scripts/services.sh start-secure` (Redis on 6480 with
TLS only and ACL users, Elasticsearch on 9251 with security and HTTPS) unless it already runs, and
stops what it started. The shared servers on 6479/9250 are never touched.
"""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import redis
from elastic_transport import TlsError
from elasticsearch import AuthenticationException, AuthorizationException, Elasticsearch
from scrapy.settings import Settings

from crawler import connections, defaults
from tests.conftest import CRAWL_SETTINGS, run_farm

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ROOT / "scripts" / "services.sh"
REGISTRY = (
    "site_id,name,url,level,region,department\n"
    "510100000001,成都市人民政府,http://www.chengdu.gov.cn/,city,成都市,\n"
    "510600000001,德阳市人民政府,http://www.deyang.gov.cn/,city,德阳市,\n"
)

pytestmark = pytest.mark.services


def _secure_environment() -> dict[str, str]:
    listing = subprocess.run([str(SERVICES), "secure-env"], capture_output=True, text=True, check=True).stdout
    return dict(re.findall(r"^export (\w+)=(.*)$", listing, flags=re.MULTILINE))


@pytest.fixture(scope="session")
def secure() -> Iterator[dict[str, str]]:
    """The export lines of the secured servers (govcrawl's users; admin passwords under GOVCRAWL_LOCAL_*)."""
    started = subprocess.run([str(SERVICES), "start-secure"], capture_output=True, text=True, timeout=300,
                             check=False)
    if started.returncode:
        pytest.fail(f"scripts/services.sh start-secure failed:\n{started.stderr}")
    yield _secure_environment()
    if "already running" not in started.stderr:
        subprocess.run([str(SERVICES), "stop-secure"], capture_output=True, check=False, timeout=120)


@pytest.fixture
def prefixes(secure: dict[str, str]) -> Iterator[tuple[str, str]]:
    """A Redis key prefix and an index prefix of this test's own, removed afterwards by the admin users."""
    tag = uuid.uuid4().hex[:12]
    redis_prefix, es_prefix = f"govcrawl:t{tag}", f"govcrawl-t{tag}"
    yield redis_prefix, es_prefix
    admin = _redis_admin(secure)
    keys = list(admin.scan_iter(match=f"{redis_prefix}:*", count=1000))
    if keys:
        admin.delete(*keys)
    admin.close()
    es = _es_admin(secure)
    # This node refuses wildcard deletes (action.destructive_requires_name, as in production).
    names = list(es.indices.get(index=f"{es_prefix}-*", allow_no_indices=True))
    if names:
        es.indices.delete(index=names)
    es.options(ignore_status=404).indices.delete_index_template(name=f"{es_prefix}-*")
    es.close()


def _redis_admin(secure: dict[str, str]) -> redis.Redis:
    return redis.Redis.from_url(secure["GOVCRAWL_REDIS_URL"], username="govcrawl-admin",
                                password=secure["GOVCRAWL_LOCAL_REDIS_ADMIN_PASSWORD"],
                                ssl_ca_certs=secure["GOVCRAWL_REDIS_CA_CERTS"])


def _es_admin(secure: dict[str, str]) -> Elasticsearch:
    return Elasticsearch(secure["GOVCRAWL_ES_URL"], ca_certs=secure["GOVCRAWL_ES_CA_CERTS"],
                         basic_auth=("govcrawl-admin", secure["GOVCRAWL_LOCAL_ES_ADMIN_PASSWORD"]))


def _settings(values: dict[str, Any]) -> Settings:
    """Project settings as a process with these environment variables would read them."""
    settings = Settings()
    settings.setmodule(defaults)
    for name, value in values.items():
        if name.startswith("GOVCRAWL_") and not name.startswith("GOVCRAWL_LOCAL_"):
            settings.set(name, value)
    return settings


def _scrapy(secure: dict[str, str], prefixes: tuple[str, str], *args: str,
            env: dict[str, str | None] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `scrapy ARGS` as an operator would, with the secured servers' environment (plus `env`)."""
    environ = {name: value for name, value in os.environ.items() if not name.startswith("GOVCRAWL_")}
    environ.update({name: value for name, value in secure.items() if not name.startswith("GOVCRAWL_LOCAL_")})
    for name, value in (env or {}).items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    environ["PYTHONPATH"] = str(ROOT)
    redis_prefix, es_prefix = prefixes
    command = [sys.executable, "-m", "scrapy", *args, "-s", f"GOVCRAWL_REDIS_PREFIX={redis_prefix}",
               "-s", f"GOVCRAWL_ES_INDEX_PREFIX={es_prefix}"]
    return subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=300,
                          check=False)


def test_commands_work_against_redis_with_acl_and_tls_and_elasticsearch_with_a_user_over_https(
        secure: dict[str, str], prefixes: tuple[str, str], tmp_path: Path) -> None:
    registry = tmp_path / "registry.csv"
    registry.write_text(REGISTRY, encoding="utf-8")
    seeded = _scrapy(secure, prefixes, "seed", str(registry))
    assert seeded.returncode == 0, seeded.stderr[-2000:]
    assert "Loaded 2 sites" in seeded.stderr

    status = _scrapy(secure, prefixes, "status", "--json")
    assert status.returncode == 0, status.stderr[-2000:]
    figures = json.loads(status.stdout)
    assert (figures["registered_sites"], figures["sites_due"]) == (2, 2)

    report = tmp_path / "report.json"
    reported = _scrapy(secure, prefixes, "report", "-o", str(report))
    assert reported.returncode == 0, reported.stderr[-2000:]
    assert "510600000001" in report.read_text(encoding="utf-8")

    # What the commands wrote is there, read back by the admin users: nothing went elsewhere.
    redis_prefix, es_prefix = prefixes
    admin = _redis_admin(secure)
    assert list(admin.scan_iter(match=f"{redis_prefix}:*", count=1000))
    admin.close()
    es = _es_admin(secure)
    assert es.count(index=f"{es_prefix}-sites")["count"] == 2
    es.close()


def test_a_crawl_runs_under_the_least_privileged_users(secure: dict[str, str], prefixes: tuple[str, str],
                                                      tmp_path: Path) -> None:
    # The worker's own path: the frontier's Lua scripts under the ACL user over TLS, the asyncio
    # Elasticsearch client of the indexing pipeline with the govcrawl_writer role over HTTPS.
    clean = ("--fault-rate", "0")
    with run_farm(tmp_path / "farm", sites=2, seed=31, base_ip="127.0.23.1", extra=clean) as farm:
        seeded = _scrapy(secure, prefixes, "seed", str(farm.registry))
        assert seeded.returncode == 0, seeded.stderr[-2000:]
        crawl = _scrapy(secure, prefixes, "crawl", "govsite", "-a", "once=1", *CRAWL_SETTINGS,
                        "-s", f"GOVCRAWL_ES_SPOOL_DIR={tmp_path / 'spool'}")
        assert crawl.returncode == 0, crawl.stderr[-3000:]
        assert "NOPERM" not in crawl.stderr and "security_exception" not in crawl.stderr
    _, es_prefix = prefixes
    es = _es_admin(secure)
    try:
        es.indices.refresh(index=f"{es_prefix}-pages")
        assert es.count(index=f"{es_prefix}-pages")["count"] > 10
    finally:
        es.close()
    spooled = [path for path in (tmp_path / "spool").glob("*.jsonl") if path.stat().st_size]
    assert not spooled, "documents Elasticsearch did not take were spooled"


def test_the_govcrawl_redis_user_reaches_only_govcrawl_keys_and_no_dangerous_command(
        secure: dict[str, str]) -> None:
    client = connections.redis_sync(_settings(secure))
    key = f"govcrawl:t{uuid.uuid4().hex[:12]}:probe"
    try:
        assert client.set(key, "1")
        with pytest.raises(redis.exceptions.NoPermissionError):
            client.set(f"other:{key}", "1")
        with pytest.raises(redis.exceptions.NoPermissionError):
            client.flushall()
        with pytest.raises(redis.exceptions.NoPermissionError):
            client.config_get("requirepass")
    finally:
        client.delete(key)
        client.close()


def test_redis_refuses_a_wrong_password_and_plain_text(secure: dict[str, str]) -> None:
    with pytest.raises(redis.exceptions.AuthenticationError):
        connections.redis_sync(_settings({**secure, "GOVCRAWL_REDIS_PASSWORD": "wrong"})).ping()
    # The server speaks TLS only: a plain-text client gets no answer it can read.
    plain = redis.Redis.from_url(secure["GOVCRAWL_REDIS_URL"].replace("rediss://", "redis://"),
                                 username="govcrawl", password=secure["GOVCRAWL_REDIS_PASSWORD"],
                                 socket_timeout=3, socket_connect_timeout=3)
    with pytest.raises(redis.exceptions.ConnectionError):
        plain.ping()
    plain.close()


def test_redis_tls_verifies_the_server_and_accepts_a_client_certificate(secure: dict[str, str]) -> None:
    tls = Path(secure["GOVCRAWL_LOCAL_TLS_DIR"])
    with_client_cert = connections.redis_sync(_settings({
        **secure, "GOVCRAWL_REDIS_CLIENT_CERT": str(tls / "client.pem"),
        "GOVCRAWL_REDIS_CLIENT_KEY": str(tls / "client.key")}))
    assert with_client_cert.ping()
    with_client_cert.close()
    # Without our CA, the system's trust store does not know the server's certificate: refused.
    unverified = connections.redis_sync(_settings({
        name: value for name, value in secure.items() if name != "GOVCRAWL_REDIS_CA_CERTS"}))
    with pytest.raises(redis.exceptions.ConnectionError, match="certificate verify failed"):
        unverified.ping()
    unverified.close()


def test_tls_settings_for_a_plain_redis_address_are_refused_with_one_line(secure: dict[str, str]) -> None:
    settings = _settings({**secure, "GOVCRAWL_REDIS_URL": "redis://govcrawl:s3cret@127.0.0.1:6480/0"})
    with pytest.raises(ValueError, match="use rediss://") as raised:
        connections.redis_sync(settings)
    message = str(raised.value)
    assert "\n" not in message
    assert "s3cret" not in message, "the password leaked into the error"
    assert "redis://127.0.0.1:6480/0" in message
    half = _settings({**secure, "GOVCRAWL_REDIS_CLIENT_CERT": "/etc/client.pem"})
    with pytest.raises(ValueError, match="set both or neither"):
        connections.redis_sync(half)


def test_the_govcrawl_user_writes_govcrawl_indices_and_nothing_else(
        secure: dict[str, str], prefixes: tuple[str, str]) -> None:
    _, es_prefix = prefixes
    client = connections.elasticsearch_sync(_settings(secure))
    try:
        client.index(index=f"{es_prefix}-pages", id="p1", document={"url": "http://www.chengdu.gov.cn/"},
                     refresh=True)
        assert client.count(index=f"{es_prefix}-pages")["count"] == 1
        with pytest.raises(AuthorizationException):
            client.indices.create(index=f"other-{es_prefix}")
        with pytest.raises(AuthorizationException):
            client.index(index="kibana-sample", document={"x": 1})
        with pytest.raises(AuthorizationException):
            client.security.put_user(username="intruder", password="intruder-pass", roles=["superuser"])
        with pytest.raises(AuthorizationException):
            client.security.create_api_key(name="escalate")
    finally:
        client.close()


def test_an_api_key_reaches_elasticsearch_in_place_of_the_user(secure: dict[str, str]) -> None:
    # The integ-test zip has no analysis-common module, so Elasticsearch cannot create its .security
    # index and issues no API key here (docs/deployment.md): the server's answer shows it received and
    # parsed ours (its id), and that no user/password went along with it.
    settings = _settings({name: value for name, value in secure.items()
                          if name not in ("GOVCRAWL_ES_USER", "GOVCRAWL_ES_PASSWORD")})
    settings.set("GOVCRAWL_ES_API_KEY", base64.b64encode(b"govcrawl-test-key:not-a-secret").decode())
    client = connections.elasticsearch_sync(settings)
    try:
        with pytest.raises(AuthenticationException) as refused:
            client.options(max_retries=0).cluster.health()
    finally:
        client.close()
    assert "apikey authentication for id govcrawl-test-key" in str(refused.value.body)


def test_api_key_and_user_together_are_refused_before_anything_connects(secure: dict[str, str]) -> None:
    settings = _settings({**secure, "GOVCRAWL_ES_API_KEY": "a2V5OnNlY3JldA=="})
    with pytest.raises(ValueError, match="one credential"):
        connections.elasticsearch_sync(settings)


def test_elasticsearch_over_https_verifies_the_server_certificate(secure: dict[str, str]) -> None:
    settings = _settings({name: value for name, value in secure.items() if name != "GOVCRAWL_ES_CA_CERTS"})
    client = connections.elasticsearch_sync(settings)
    try:
        with pytest.raises(TlsError) as refused:
            client.options(max_retries=0).info()
    finally:
        client.close()
    assert "CERTIFICATE_VERIFY_FAILED" in repr(refused.value)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening_addresses(port: int) -> list[str]:
    listing = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True,
                             check=True).stdout
    return [line.split()[3].rsplit(":", 1)[0] for line in listing.splitlines() if line.strip()]


def test_the_exporter_serves_metrics_on_loopback_only_by_default(
        secure: dict[str, str], prefixes: tuple[str, str], tmp_path: Path) -> None:
    port = _free_port()
    environ = {name: value for name, value in os.environ.items() if not name.startswith("GOVCRAWL_")}
    environ.update({name: value for name, value in secure.items() if not name.startswith("GOVCRAWL_LOCAL_")})
    environ["PYTHONPATH"] = str(ROOT)
    redis_prefix, es_prefix = prefixes
    log = tmp_path / "exporter.log"
    with log.open("w") as output:
        exporter = subprocess.Popen(
            [sys.executable, "-m", "scrapy", "exporter", "-s", f"GOVCRAWL_EXPORTER_PORT={port}",
             "-s", f"GOVCRAWL_REDIS_PREFIX={redis_prefix}", "-s", f"GOVCRAWL_ES_INDEX_PREFIX={es_prefix}"],
            cwd=ROOT, env=environ, stdout=output, stderr=subprocess.STDOUT)
    try:
        while not _listening_addresses(port) and exporter.poll() is None:
            time.sleep(0.2)
        assert _listening_addresses(port) == ["127.0.0.1"], log.read_text(encoding="utf-8")[-2000:]
    finally:
        exporter.terminate()
        exporter.wait(timeout=60)


def test_wrong_credentials_are_named_in_one_line(secure: dict[str, str], prefixes: tuple[str, str]) -> None:
    status = _scrapy(secure, prefixes, "status", env={"GOVCRAWL_REDIS_PASSWORD": "wrong"})
    assert status.returncode == 1
    lines = status.stderr.strip().splitlines()
    assert len(lines) == 1, status.stderr
    assert "refused the credentials" in lines[0] and "GOVCRAWL_REDIS_PASSWORD" in lines[0]
    assert "wrong" not in lines[0]
    templates = _scrapy(secure, prefixes, "templates", env={"GOVCRAWL_ES_PASSWORD": "wrong"})
    assert templates.returncode == 1
    lines = templates.stderr.strip().splitlines()
    assert len(lines) == 1, templates.stderr
    assert "refused the credentials (HTTP 401)" in lines[0] and "GOVCRAWL_ES_PASSWORD" in lines[0]

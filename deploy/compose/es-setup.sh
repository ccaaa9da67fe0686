#!/usr/bin/env bash
# One-shot of deploy/compose.yaml (es-setup): the govcrawl user with the role govcrawl_writer
# (deploy/elasticsearch/roles.yml, loaded by the file realm) and the kibana_system password.
# Idempotent: a second run sets the same passwords again.
set -euo pipefail
es=https://elasticsearch:9200
ca=/usr/share/elasticsearch/config/certs/ca/ca.crt
call() {  # call METHOD PATH JSON
    curl -fsS --cacert "$ca" -u "elastic:$ELASTIC_PASSWORD" -X "$1" "$es$2" \
        -H 'Content-Type: application/json' -d "$3" >/dev/null
}
call POST /_security/user/kibana_system/_password "{\"password\": \"$KIBANA_SYSTEM_PASSWORD\"}"
call POST /_security/user/govcrawl \
    "{\"password\": \"$GOVCRAWL_ES_PASSWORD\", \"roles\": [\"govcrawl_writer\"], \"full_name\": \"govcrawl\"}"
echo "es-setup: users govcrawl (govcrawl_writer) and kibana_system are ready"

"""Command line: `python -m scripts.farm serve --sites 30 --seed 1 --out DIR [options]`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import uvloop

from scripts import worldb, worldc, worldd
from scripts.farm import World, generate
from scripts.farm.server import FarmServer
from scripts.farm.truth import write_registry, write_truth

if TYPE_CHECKING:
    from scripts.worldb import WorldB
    from scripts.worldc import WorldC
    from scripts.worldd import WorldD

logger = logging.getLogger("scripts.farm")


def _parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.farm", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="write registry.csv and truth.json, then serve the farm")
    serve.add_argument(
        "--world", choices=["a", "b", "c", "d"], default="a", help="which world (docs/farm.md)"
    )
    serve.add_argument(
        "--sites", type=int, default=None, help="default: 30 (worlds a, c and d), 40 (world b)"
    )
    serve.add_argument("--seed", type=int, default=1)
    serve.add_argument(
        "--out", type=Path, required=True, help="directory for registry.csv, truth.json, ready"
    )
    serve.add_argument("--port", type=int, default=8800)
    serve.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="the farm's 'now' (default: today in Asia/Shanghai)",
    )
    serve.add_argument(
        "--base-ip", default=None,
        help="address of site 0; site i is base + i (a: 127.0.1.1, b: 127.0.2.1, c: 127.0.3.1, d: 127.0.5.1)",
    )
    serve.add_argument("--fault-rate", type=float, default=1.0, help="0 = a clean world for benchmarks")
    serve.add_argument("--slow-seconds", type=float, default=30.0, help="how long timeout endpoints hold")
    serve.add_argument("--slow-home-seconds", type=float, default=3.0, help="home page delay of slow sites")
    serve.add_argument("--latency-ms", type=float, default=0.0, help="added to every site answer")
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    today = args.today or datetime.now(ZoneInfo("Asia/Shanghai")).date()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    (out / "ready").unlink(missing_ok=True)
    world: World | WorldB | WorldC | WorldD
    if args.world == "d":
        world = worldd.generate(
            args.sites or 30, args.seed, today, port=args.port, base_ip=args.base_ip or "127.0.5.1",
            fault_rate=args.fault_rate,
        )
        worldd.write_registry(world, out / "registry.csv")
        worldd.write_truth(world, out / "truth.json")
    elif args.world == "c":
        world = worldc.generate(
            args.sites or 30, args.seed, today, port=args.port, base_ip=args.base_ip or "127.0.3.1",
            fault_rate=args.fault_rate,
        )
        worldc.write_registry(world, out / "registry.csv")
        worldc.write_truth(world, out / "truth.json")
    elif args.world == "b":
        world = worldb.generate(
            args.sites or 40, args.seed, today, port=args.port, base_ip=args.base_ip or "127.0.2.1",
            fault_rate=args.fault_rate,
        )
        worldb.write_registry(world, out / "registry.csv")
        worldb.write_truth(world, out / "truth.json")
    else:
        world = generate(
            args.sites or 30, args.seed, today, port=args.port, base_ip=args.base_ip or "127.0.1.1",
            fault_rate=args.fault_rate,
        )
        write_registry(world, out / "registry.csv")
        write_truth(world, out / "truth.json")
    server = FarmServer(
        world,
        slow_seconds=args.slow_seconds,
        slow_home_seconds=args.slow_home_seconds,
        latency_seconds=args.latency_ms / 1000,
    )
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    control_url = f"http://127.0.0.1:{args.port}/_farm/stats"
    (out / "ready").write_text(control_url + "\n", encoding="utf-8")
    sys.stdout.write(f"farm ready {control_url}\n")
    sys.stdout.flush()
    await stop.wait()
    await server.stop()
    logger.info("Farm stopped")


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    # uvloop: the farm's own CPU stayed the same, but with two crawlers saturating the machine it answered
    # sooner and their CPU per page was lower (docs/farm.md).
    with contextlib.suppress(KeyboardInterrupt), asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(_serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`regie serve` and `regie demo`: the web app, and the whole régie on one machine."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import click

from regie.settings import get_settings


@click.command()
@click.option("--host", default=None, help="Default: REGIE_HOST.")
@click.option("--port", type=int, default=None, help="Default: REGIE_PORT.")
@click.option("--workers", type=int, default=None, help="Default: REGIE_WEB_WORKERS.")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Run the web app."""
    import uvicorn

    web = get_settings().web
    count = web.workers if workers is None else workers
    if count < 1:
        raise click.BadParameter("at least one worker", param_hint="--workers")
    uvicorn.run(
        "regie.app:create_app",
        factory=True,
        host=host or web.host,
        port=port or web.port,
        workers=count,
        log_level="warning",
    )


@click.command()
@click.option(
    "--households",
    type=int,
    default=2000,
    show_default=True,
    help="Households (each with a water and an electricity meter).",
)
@click.option(
    "--rate", type=float, default=20.0, show_default=True, help="Live messages per second."
)
@click.option("--port", type=int, default=None, help="Web port (default: REGIE_PORT).")
def demo(households: int, rate: float, port: int | None) -> None:
    """Everything on this machine: SQLite, an embedded MQTT broker on 127.0.0.1, simulated
    meters, the ingest worker and the web app."""
    from regie.broker import EmbeddedBroker, free_port
    from regie.core.database import migrate
    from regie.demo import PASSWORD, logins, seed

    settings = get_settings()
    began = time.monotonic()
    click.echo(f"demo database: {settings.database.url}")
    asyncio.run(migrate())
    if asyncio.run(seed(households)):
        click.echo(f"seeded {households} households, a year of usage, tariffs, bills, committees")
    meters = households * 2
    broker = EmbeddedBroker(port=free_port()).start()
    env = {
        **os.environ,
        "REGIE_MQTT_URL": broker.url,
        "REGIE_MQTT_PROTOCOL": "3.1.1",  # amqtt has neither MQTT 5 nor shared subscriptions
        "REGIE_MQTT_SHARED_GROUP": "",
        "REGIE_DEVELOPMENT": "1",  # plain HTTP on loopback: cookies without Secure
        "REGIE_MQTT_CLIENT_ID": "regie-demo-ingest",
    }
    regie = [sys.executable, "-m", "regie.cli"]
    children = [
        subprocess.Popen([*regie, "ingest"], env=env),
        subprocess.Popen(
            [
                *regie,
                "simulate",
                "--meters",
                str(meters),
                "--rate",
                str(rate),
                "--interval",
                str(max(60, int(meters / max(rate, 1)))),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
        ),
    ]
    web_port = port or settings.web.port
    env["REGIE_PUBLIC_URL"] = f"http://{settings.web.host}:{web_port}"
    web = subprocess.Popen([*regie, "serve", "--port", str(web_port)], env=env)
    children.append(web)
    click.echo(f"régie demo: broker {broker.url}, {meters} simulated meters")
    for role, login in logins().rows:
        click.echo(f"  {role:<40} {login}  /  {PASSWORD}")
    click.echo(
        f"régie demo ready in {time.monotonic() - began:.0f} s: "
        f"http://{settings.web.host}:{web_port}/  (Ctrl-C to stop)"
    )

    def stop_on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # SIGTERM stops the children as Ctrl-C does

    signal.signal(signal.SIGTERM, stop_on_term)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        broker.stop()


COMMANDS: list[click.Command] = [serve, demo]

"""The emulator server process: moto's WSGI app behind the payments middleware, served by werkzeug.

Importing this module imports moto, so it must happen in the server process only and after
``MOTO_IAM_LOAD_MANAGED_POLICIES`` is set (see ``emulator.cli``).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType

from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.moto_server.werkzeug_app import MotoRequestHandler
from moto.moto_server.werkzeug_app import create_backend_app
from werkzeug.serving import run_simple

from emulator import fidelity
from emulator import latency
from emulator.config import FIDELITY_ENV
from emulator.config import HOST
from emulator.config import EmulatorConfig
from emulator.faults import FaultInjector
from emulator.faults import FaultSettings
from emulator.faults import canonical_services
from emulator.faults import describe
from emulator.middleware import PaymentsMiddleware
from emulator.operations import warm_rest_resolver
from emulator.recorder import CallRecorder


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    """Turn SIGTERM/SIGINT into a normal interpreter exit so werkzeug closes its socket."""
    print(f"emulator: received signal {signum}, exiting", flush=True)
    sys.exit(0)


def serve(config: EmulatorConfig) -> None:
    """Apply the fidelity patches (unless ``PAYMENTS_EMULATOR_FIDELITY=off``) and serve moto until terminated.

    The latency profile needs the fidelity patches: with ``PAYMENTS_EMULATOR_FIDELITY=off`` it has no effect.
    """
    applied = [] if os.environ.get(FIDELITY_ENV, "on") == "off" else fidelity.apply_all()
    # PAYMENTS_EMULATOR_THROTTLE_RATE / _5XX_RATE / _FAULT_SEED / _FAULT_SERVICES (``start`` sets them from its flags).
    fault_settings = canonical_services(FaultSettings.from_env())
    faults = FaultInjector(fault_settings)
    latency.set_scale(latency.scale_from_env())  # PAYMENTS_EMULATOR_LATENCY_SCALE (``start --latency-scale``)
    app = PaymentsMiddleware(
        DomainDispatcherApplication(create_backend_app),
        recorder=CallRecorder(config.calls_file),
        port=config.port,
        fidelity=applied,
        faults=faults,
    )
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGINT, _exit_on_signal)
    threading.Thread(target=warm_rest_resolver, name="warm-rest-resolver", daemon=True).start()
    patches = ", ".join(applied) or "none, plain moto"
    print(f"emulator: serving {config.endpoint} (fidelity patches: {patches})", flush=True)
    if fault_settings.active:
        print(f"emulator: injecting faults: {describe(faults.status())}", flush=True)
    if latency.get_scale() > 0:
        print(f"emulator: latency profile: {latency.describe(latency.status())}", flush=True)
    run_simple(HOST, config.port, app, threaded=True, request_handler=MotoRequestHandler)

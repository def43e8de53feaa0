"""Local AWS emulator for payments.infra: moto in server mode plus a call recorder and a fidelity layer.

Run ``python -m emulator --help`` from the repository root. Integration tests and molecule use
:func:`emulator.testing.running_emulator`; the HTTP API is wrapped by :class:`emulator.client.EmulatorClient`.
"""

"""Make the checkout importable as ansible_collections.payments.infra (the same symlink
ansible.cfg uses), and the emulator package importable from the repository root."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT / "collections", ROOT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

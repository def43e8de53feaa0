"""What a callback is handed by Ansible, reduced to what this collection's callbacks read."""

from types import SimpleNamespace


class Display:
    verbosity = 0

    def __init__(self):
        self.lines = []

    def display(self, msg, stderr=False, **_):
        assert stderr, "the callback writes to stderr (the json stdout callback stays parseable)"
        self.lines.append(msg)


class Role:
    def __init__(self, name):
        self.name = name

    def get_name(self):
        return self.name


class Task:
    def __init__(self, name, role=None):
        self._uuid = f"{role}-{name}"
        self._role = Role(role) if role else None
        self.name = name

    def get_name(self):
        return self.name


class Host:
    def __init__(self, name):
        self.name = name

    def get_name(self):
        return self.name


def result(host, task, **payload):
    return SimpleNamespace(_host=host, _task=task, _result=payload)

"""What a program inside the sandbox does to itself before any untrusted code runs: resource
limits, PID 1 duties in a new PID namespace, and the network blocked at the Python level.

Standard library only and nothing imported from this project: the sandbox copies this file
beside its runner (`unit_test_runner.py`, `pytest_runner.py`) into each run's directory.
"""

import os


def set_limits(memory_mb, cpu_s, nproc, fsize_mb, nofile):
    import resource

    def cap(which, soft, hard):
        try:
            _, current_hard = resource.getrlimit(which)
            if current_hard != resource.RLIM_INFINITY:
                soft, hard = min(soft, current_hard), min(hard, current_hard)
            resource.setrlimit(which, (soft, hard))
        except (ValueError, OSError):
            pass

    mib = 1024 * 1024
    cap(resource.RLIMIT_AS, memory_mb * mib, memory_mb * mib)
    cap(resource.RLIMIT_CPU, cpu_s, cpu_s + 1)
    cap(resource.RLIMIT_FSIZE, fsize_mb * mib, fsize_mb * mib)
    cap(resource.RLIMIT_NOFILE, nofile, nofile)
    cap(resource.RLIMIT_CORE, 0, 0)
    if nproc > 0:
        cap(resource.RLIMIT_NPROC, nproc, nproc)


def be_init(exit_):
    """As PID 1 of a new PID namespace: fork the worker, reap orphans, exit with its status.

    When PID 1 exits the kernel kills everything left in the namespace.
    """
    worker = os.fork()
    if worker == 0:
        return
    status = 1
    while True:
        try:
            pid, wait_status = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if pid == worker:
            status = os.waitstatus_to_exitcode(wait_status)
            break
    exit_(status if status >= 0 else 128 - status)


def block_network():
    import _socket
    import errno
    import socket

    class NetworkDisabledError(PermissionError):
        pass

    def refuse(*args, **kwargs):
        raise NetworkDisabledError(errno.EACCES, "network access is disabled in the sandbox")

    class socket_(socket.socket):
        # Wrapping an existing descriptor (socketpair, fromfd) stays possible: asyncio needs it.
        def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
            if fileno is None:
                refuse()
            super().__init__(family, type, proto, fileno)

    original_init = _socket.socket.__init__

    class raw_socket(_socket.socket):
        # socket.socket.__init__ calls `_socket.socket.__init__(self, ...)` with instances of
        # the original class: no zero-argument super() here.
        def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
            if fileno is None:
                refuse()
            original_init(self, family, type, proto, fileno)

    for cls, name in ((socket_, "socket"), (raw_socket, "socket")):
        cls.__name__ = cls.__qualname__ = name
    socket.socket = socket_
    _socket.socket = raw_socket
    for module in (socket, _socket):
        for name in (
            "create_connection",
            "create_server",
            "getaddrinfo",
            "gethostbyname",
            "gethostbyname_ex",
            "gethostbyaddr",
            "getnameinfo",
        ):
            if hasattr(module, name):
                setattr(module, name, refuse)
    return [
        ("socket", vars(socket), ("socket", "create_connection", "getaddrinfo")),
        ("_socket", vars(_socket), ("socket", "getaddrinfo")),
    ]

"""The lease folder and its files, opened safely against the other users of the machine (see runs.lease).

The folder sits in the system's temporary folder, where anybody may have put anything first: a
symlink to somebody's files, a regular file, a folder of their own. So it is opened once with
O_NOFOLLOW and everything inside is reached through that descriptor (it cannot be swapped
afterwards); a folder that others may write to must be sticky, like /tmp, so nobody removes
another user's files. Files are opened with O_NOFOLLOW and O_NONBLOCK (a FIFO planted under a
lock's name cannot hang us), must be plain files with one link, and are never written: a lease
is a flock on the file, which works on a read-only descriptor, so every file is created
world-readable for the other users to lock too.
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import stat
import tempfile
import time
from pathlib import Path

LEASE_DIR_ENV = "GREENTUI_LEASE_DIR"
DIR_MODE = 0o1777  # sticky and world-writable, like /tmp: every user's runs share the folder
FILE_MODE = 0o644  # readable by all, so another user's greentui can open and flock it
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class LeaseError(RuntimeError):
    """The lease folder or one of its files cannot be used; the message names the path."""


def lease_dir_path() -> Path:
    """The machine-wide lease folder: $GREENTUI_LEASE_DIR, else greentui-leases in the system's temporary folder."""
    return Path(os.environ.get(LEASE_DIR_ENV) or Path(tempfile.gettempdir()) / "greentui-leases")


def _why(err: OSError, path: Path | None = None) -> str:
    if err.errno == errno.ELOOP or (path is not None and os.path.islink(path)):  # O_DIRECTORY says ENOTDIR for a link
        return "is a symlink; refusing it"
    if err.errno == errno.ENOTDIR:
        return "is not a folder"
    return f"cannot be used ({err.strerror or err})"


class LeaseDir:
    """An open lease folder; every file in it is reached through the folder's descriptor."""

    def __init__(self, path: Path, create: bool = True) -> None:
        self.path = path
        created = False
        if create:
            try:
                os.mkdir(path, DIR_MODE)
                created = True
            except FileExistsError:
                pass
            except OSError as err:
                raise LeaseError(f"the lease folder {path} cannot be created ({err.strerror or err})") from None
        try:
            self.fd = os.open(path, _OPEN_FLAGS | os.O_DIRECTORY)
        except OSError as err:
            raise LeaseError(f"the lease folder {path} {_why(err, path)}") from None
        try:
            info = os.fstat(self.fd)
            if created:
                os.fchmod(self.fd, DIR_MODE)  # mkdir's mode went through the umask
                info = os.fstat(self.fd)
            mode = stat.S_IMODE(info.st_mode)
            if mode & 0o022 and not mode & stat.S_ISVTX:
                raise LeaseError(f"the lease folder {path} is writable by others but not sticky; refusing it")
            if info.st_uid not in (0, os.getuid()) and mode & 0o1002 != 0o1002:
                raise LeaseError(f"the lease folder {path} belongs to uid {info.st_uid} and is not shared "
                                 "(sticky and world-writable); refusing it")
        except BaseException:
            os.close(self.fd)
            raise

    def close(self) -> None:
        os.close(self.fd)

    def __enter__(self) -> LeaseDir:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def where(self, name: str) -> Path:
        return self.path / name

    def names(self) -> list[str]:
        """The folder's entries (names only; each is checked when opened)."""
        try:
            return os.listdir(self.fd)
        except OSError as err:
            raise LeaseError(f"the lease folder {self.path} cannot be read ({err.strerror or err})") from None

    def open_file(self, name: str, create: bool) -> int | None:
        """A read-only descriptor on the plain file `name`, created world-readable if missing and `create`.

        None when it does not exist and `create` is false. Existing files are opened without O_CREAT:
        fs.protected_regular refuses O_CREAT on another user's file in a sticky folder.
        """
        while True:
            try:
                fd = os.open(name, _OPEN_FLAGS, dir_fd=self.fd)
                break
            except FileNotFoundError:
                if not create:
                    return None
            except OSError as err:
                raise LeaseError(f"the lease file {self.where(name)} {_why(err)}") from None
            try:
                fd = os.open(name, _OPEN_FLAGS | os.O_CREAT | os.O_EXCL, FILE_MODE, dir_fd=self.fd)
                os.fchmod(fd, FILE_MODE)  # the umask may have taken the other users' read bit
                break
            except FileExistsError:
                continue  # somebody created it just now: open theirs
            except OSError as err:
                raise LeaseError(f"the lease file {self.where(name)} cannot be created ({err.strerror or err})") from None
        self._check_plain(name, fd)
        return fd

    def _check_plain(self, name: str, fd: int) -> None:
        info = os.fstat(fd)
        problem = "is not a plain file" if not stat.S_ISREG(info.st_mode) else ""
        if not problem and info.st_nlink != 1:
            problem = "has other hard links"  # a link to somebody's file: its flocks are not ours to take
        if problem:
            os.close(fd)
            raise LeaseError(f"the lease file {self.where(name)} {problem}; refusing it")

    def still_named(self, name: str, fd: int) -> bool:
        """True while `name` is the file `fd` has open (a lock file removed and made again is another lock)."""
        try:
            named = os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except OSError:
            return False
        held = os.fstat(fd)
        return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)

    def new_ticket(self, key: str) -> tuple[str, int]:
        """A waiter's ticket `KEY.STAMP.PID.ticket`, flocked before it gets its name, so it is never seen unlocked."""
        hidden = f".{key}.{os.getpid()}.{secrets.token_hex(4)}.new"
        fd = self.open_file(hidden, create=True)
        assert fd is not None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # nobody else opens a hidden name: this never waits
            while True:
                # The monotonic clock counts from boot and is shared by every process: it orders the waiters.
                name = f"{key}.{time.monotonic_ns():020d}.{os.getpid()}.ticket"
                try:
                    os.link(hidden, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
                    return name, fd
                except FileExistsError:
                    continue
                except OSError as err:
                    raise LeaseError(f"the lease file {self.where(name)} cannot be created ({err.strerror or err})") from None
        except BaseException:
            os.close(fd)
            raise
        finally:
            self.remove(hidden)

    def is_live(self, name: str) -> bool:
        """True while somebody holds the flock on `name`; a stale file of ours is removed.

        A file that cannot be opened or locked (another user's, not made by greentui) counts as not live.
        """
        try:  # not open_file: a ticket has two names for a moment while it is being made
            fd = os.open(name, _OPEN_FLAGS, dir_fd=self.fd)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # shared: two checkers never make each other look live
        except BlockingIOError:
            return True
        except OSError:
            return False
        finally:
            owner = os.fstat(fd).st_uid
            os.close(fd)
        if owner == os.getuid():
            self.remove(name)
        return False

    def remove(self, name: str) -> None:
        try:
            os.unlink(name, dir_fd=self.fd)
        except OSError:
            pass  # gone already, or not ours to remove (sticky folder)


def lock_holders(fd: int) -> list[int]:
    """Pids holding a flock on `fd`'s file, from /proc/locks (untrusted text, parsed defensively)."""
    info = os.fstat(fd)
    exact, by_inode = [], []
    try:
        with open("/proc/locks", encoding="ascii", errors="replace") as handle:
            lines = handle.read(4 * 2**20).splitlines()
    except OSError:
        return []
    for line in lines:
        fields = line.split()
        # "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; "1: -> FLOCK ..." lines are blocked waiters
        if len(fields) < 6 or fields[1] != "FLOCK" or not fields[4].isdigit():
            continue
        where = fields[5].split(":")
        try:
            major, minor, inode = int(where[0], 16), int(where[1], 16), int(where[2])
        except (ValueError, IndexError):
            continue
        pid = int(fields[4][:10])
        if inode != info.st_ino or pid <= 0:
            continue
        by_inode.append(pid)
        if (major, minor) == (os.major(info.st_dev), os.minor(info.st_dev)):
            exact.append(pid)
    # Overlay and FUSE file systems may report another device than stat: fall back to the inode alone.
    return sorted(set(exact or by_inode))

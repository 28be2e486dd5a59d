"""The checks every reader makes, as the C++ side makes them: the seal over
attributes and links (io/hdf5_integrity.cpp), the data digests
(io/data_digest.cpp), and a file's kind and schema (check_file in
io/provenance.hpp), in a child process for a file that may be damaged."""
import ctypes
import os
import select
import signal

import h5py
import numpy as np

from .contract import (DATA_DIGEST_ATTRIBUTE, FILE_KINDS, SEAL_ATTRIBUTE, SEAL_VERSION_ATTRIBUTE,
                       FileError, Fnv1a, text_of)


# -- the seal: framework/src/io/hdf5_integrity.cpp and data_digest.cpp -------------------
def _attribute_bytes(attribute_id, obj, name, digest):
    """Adds one attribute as the C++ side does: its type class, then its values."""
    file_type = attribute_id.get_type()
    type_class = file_type.get_class()
    digest.add(int(type_class).to_bytes(4, "little"))
    if attribute_id.get_space().get_simple_extent_npoints() == 0:
        return  # nothing to read, as the C++ side
    if type_class == h5py.h5t.STRING and file_type.is_variable_str():
        value = obj.attrs[name]
        texts = [value] if isinstance(value, (str, bytes)) else list(np.ravel(value))
        for text in texts:
            digest.add((text if isinstance(text, bytes) else str(text).encode("utf-8"))
                       + b"\0")
        return
    values = np.empty(attribute_id.shape, dtype=attribute_id.dtype)
    attribute_id.read(values, mtype=file_type)
    digest.add(values.tobytes())


def _objects(h5file):
    """Every group and dataset reachable by hard links: the root first, then sorted."""
    names = []
    h5file.visit(names.append)
    return ["/"] + sorted(names, key=lambda n: n.encode("utf-8", "surrogateescape"))


def _links(h5file):
    """Every link by path, sorted: (path, type, target), as the C++ side lists them."""
    found = []

    def visit(name, info):
        target = b""
        if info.type == h5py.h5l.TYPE_SOFT:
            target = h5file.id.links.get_val(name)
        elif info.type == h5py.h5l.TYPE_EXTERNAL:
            file_name, object_name = h5file.id.links.get_val(name)
            target = file_name + b"\0" + object_name
        found.append((name, info.type, target))
    h5file.id.links.visit(visit, info=True)
    return sorted(found)


def attributes_digest(h5file):
    """The digest the seal holds: from seal version 2 every link (path, type, target),
    then every attribute of every object but the seal (16 hex)."""
    digest = Fnv1a()
    if int(h5file.attrs.get(SEAL_VERSION_ATTRIBUTE, 1)) >= 2:
        for name, link_type, target in _links(h5file):
            digest.add(name + b"\0")
            digest.add(int(link_type).to_bytes(4, "little", signed=True))
            digest.add(target + b"\0")
    for path in _objects(h5file):
        obj = h5file[path]
        digest.add_text(path)
        names = sorted(obj.attrs.keys(), key=lambda n: n.encode("utf-8", "surrogateescape"))
        for name in names:
            if path == "/" and name == SEAL_ATTRIBUTE:
                continue
            digest.add_text(name)
            attribute_id = h5py.h5a.open(obj.id, name.encode("utf-8"))
            _attribute_bytes(attribute_id, obj, name, digest)
    return f"{digest.value:016x}"


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def data_digest(values):
    """The digest of an array's values as stored (little-endian elements of 1 to 8
    bytes, row-major): the sum modulo 2^64 of mix(word + index * golden)."""
    flat = np.ascontiguousarray(values).reshape(-1)
    size = flat.dtype.itemsize
    if not 1 <= size <= 8:
        raise ValueError(f"elements of {size} bytes have no digest")
    flat = flat.astype(flat.dtype.newbyteorder("<"), copy=False)
    raw = flat.view(np.uint8).reshape(-1, size)
    total = np.uint64(0)
    block = 1 << 20
    with np.errstate(over="ignore"):
        for first in range(0, raw.shape[0], block):
            chunk = raw[first:first + block]
            words = np.zeros(chunk.shape[0], dtype=np.uint64)
            for byte in range(size):
                words |= chunk[:, byte].astype(np.uint64) << np.uint64(8 * byte)
            index = np.arange(first, first + chunk.shape[0], dtype=np.uint64)
            total = total + np.sum(_mix(words + index * _GOLDEN), dtype=np.uint64)
    return f"{int(total):016x}"


def read_dataset(dataset):
    """A dataset's values, checked against the digest it was sealed with (if any)."""
    values = dataset[()]
    if DATA_DIGEST_ATTRIBUTE in dataset.attrs:
        stored = text_of(dataset.attrs[DATA_DIGEST_ATTRIBUTE])
        if data_digest(np.asarray(values)) != stored:
            raise FileError(f"{dataset.file.filename}: damaged: dataset '{dataset.name}' does "
                            "not hold the values it was written with (its digest differs)")
    return values


def verify(h5file, datasets=False):
    """Raises FileError naming the damage unless the seal matches every attribute and,
    with `datasets`, every dataset its digest (as Hdf5File::verify)."""
    path = h5file.filename
    if SEAL_ATTRIBUTE not in h5file.attrs:
        raise FileError(f"{path}: has no seal ({SEAL_ATTRIBUTE}): it was not closed by attnlab")
    try:
        found = attributes_digest(h5file)
    except _DAMAGE as error:
        raise FileError(f"{path}: damaged: its attributes cannot be read ({error})") from error
    if found != text_of(h5file.attrs[SEAL_ATTRIBUTE]):
        raise FileError(f"{path}: damaged: its attributes do not match the seal written when "
                        "it was closed")
    if not datasets:
        return  # the seal covers which datasets carry digests
    digests = int(h5file.attrs.get(SEAL_VERSION_ATTRIBUTE, 1)) >= 2
    for name in _objects(h5file)[1:]:
        dataset = h5file[name]
        if not isinstance(dataset, h5py.Dataset):
            continue
        if digests and DATA_DIGEST_ATTRIBUTE not in dataset.attrs:
            raise FileError(f"{path}: damaged: dataset '{name}' has no digest "
                            f"({DATA_DIGEST_ATTRIBUTE})")
        try:
            read_dataset(dataset)
        except OSError as error:
            raise FileError(f"{path}: damaged: dataset '{name}' fails its checksum "
                            f"({error})") from error


def file_kind_of(h5file):
    """The kind of an attnlab file (as file_kind_of in C++)."""
    if "kind" in h5file.attrs:
        found = text_of(h5file.attrs["kind"])
        if found not in FILE_KINDS:
            raise FileError(f"{h5file.filename}: of kind '{found}', which this attnlab does "
                            "not know")
        return found
    if FILE_KINDS["trial"][0] in h5file.attrs:
        return "trial"
    if FILE_KINDS["checkpoint"][0] in h5file.attrs:
        return "checkpoint"
    raise FileError(f"{h5file.filename}: not a file attnlab wrote (no 'kind' and no schema "
                    "attribute)")


# What h5py raises on a file damaged below what HDF5 checks for us.
_DAMAGE = (OSError, KeyError, RuntimeError, UnicodeError, ValueError, TypeError)


def check_file(h5file, kind, datasets=False):
    """The check every reader makes (check_file in C++): the file is of `kind`, its
    schema is not newer than this code reads, and its seal holds. Returns the schema."""
    try:
        return _check_file(h5file, kind, datasets)
    except _DAMAGE as error:
        raise FileError(f"{h5file.filename}: damaged: {error}") from error


def _check_file(h5file, kind, datasets):
    path = h5file.filename
    attribute, newest, sealed_from, may_be_other_kind = FILE_KINDS[kind]
    family = attribute[len("attnlab_"):-len("_schema")]
    if attribute not in h5file.attrs:
        raise FileError(f"{path}: not an attnlab {kind} file (it has no '{attribute}' "
                        "attribute)")
    if not may_be_other_kind and "kind" in h5file.attrs:
        found = text_of(h5file.attrs["kind"])
        if found != kind:
            raise FileError(f"{path}: is an attnlab {found} file, where a {kind} file was "
                            "expected")
    schema = int(h5file.attrs[attribute])
    if schema > newest:
        raise FileError(f"{path}: written with {family} schema {schema}, but this code reads "
                        f"up to {newest}: the file is newer; use the analysis tools of a newer "
                        "attnlab")
    if schema < 1:
        raise FileError(f"{path}: {family} schema {schema} is not one")
    # A file that says how it was sealed must be sealed: a seal removed is damage.
    if schema >= sealed_from or SEAL_ATTRIBUTE in h5file.attrs or \
            SEAL_VERSION_ATTRIBUTE in h5file.attrs:
        verify(h5file, datasets)
    return schema


def _first_line(error):
    """h5py's messages can carry HDF5's whole error dump: the first line says it."""
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _die_with(parent):
    """In a forked child: be killed when the parent dies (Linux's PR_SET_PDEATHSIG), so
    that a reader stopped from outside leaves no child behind."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def check_path(path, kind=None):
    """Checks the file at `path` as check_file does, its datasets' values included, in a
    child process: HDF5 can crash on a damaged file, and the reader must not. Returns
    (kind, schema); raises FileError naming the damage, or the crash."""
    if not os.path.exists(path):
        raise FileError(f"{path}: no such file")
    if not os.path.isfile(path):  # a FIFO would block the open forever
        raise FileError(f"{path}: is not a regular file, so not an HDF5 file attnlab wrote")
    read_end, write_end = os.pipe()
    parent = os.getpid()
    child = os.fork()
    if child == 0:  # the child: check, report on the pipe, exit without cleaning up
        _die_with(parent)
        os.close(read_end)
        status, report = 0, ""
        try:
            with h5py.File(path, "r") as h5file:
                found = kind or file_kind_of(h5file)
                report = f"{found}\n{check_file(h5file, found, datasets=True)}"
        except FileError as error:
            status, report = 1, str(error)
        except OSError as error:
            status, report = 1, (f"{path}: not a readable HDF5 file ({_first_line(error)}); it "
                                 "may be truncated or damaged")
        except BaseException as error:  # noqa: B902  anything else is damage to report
            status, report = 1, f"{path}: damaged: {error}"
        os.write(write_end, report.encode("utf-8", "replace"))
        os._exit(status)
    os.close(write_end)
    # A file HDF5 spins on is a verdict too: 30 s and 1 s per 10 MiB, as the C++ reader.
    limit = 30 + os.path.getsize(path) / (10 << 20)
    with os.fdopen(read_end, "rb") as pipe:
        ready, _, _ = select.select([pipe], [], [], limit)
        if not ready:
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
            raise FileError(f"{path}: damaged: reading it did not end within {limit:.0f} s")
        report = pipe.read().decode("utf-8", "replace")
    _, status = os.waitpid(child, 0)
    if os.WIFSIGNALED(status):
        raise FileError(f"{path}: damaged: reading it crashed the reader (signal "
                        f"{os.WTERMSIG(status)})")
    if os.WEXITSTATUS(status) != 0:
        raise FileError(report)
    found, schema = report.split("\n")
    return found, int(schema)


def open_checked(path, kind, datasets=True):
    """An open h5py.File of `kind` whose every check passed (check_path: in a child
    process, values included, unless `datasets` is False), or FileError naming what is
    wrong. A symbolic link is refused: attnlab never writes one."""
    if os.path.islink(path):
        raise FileError(f"{path}: is a symbolic link; attnlab never writes one there")
    if datasets:
        check_path(path, kind)
    elif not os.path.exists(path):
        raise FileError(f"{path}: no such file")
    try:
        h5file = h5py.File(path, "r")
    except OSError as error:
        raise FileError(f"{path}: not a readable HDF5 file ({_first_line(error)}); it may be "
                        "truncated or damaged") from error
    try:
        check_file(h5file, kind)
    except BaseException:
        h5file.close()
        raise
    return h5file



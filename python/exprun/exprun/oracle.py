"""Serve a Python model to exprun over the external oracle protocol (docs/external_oracle.md).

A config names the script as an `external` model (`command: [python3, model.py]`); the script
ends with one call::

    from exprun import oracle
    oracle.serve(loss_and_grad, x0, n=len(y))

where ``loss_and_grad(x, idx)`` returns the mean loss over the examples ``idx`` (an int64 array
of indices that exprun chose; ``None`` for the whole training set) and its gradient. exprun
talks on file descriptors 3 and 4, so ``print`` in the model is harmless: stdout and stderr go
to the run's log. numpy only; :func:`torch_model` adapts a ``torch.nn.Module`` (torch is
imported there and nowhere else).
"""
import os
import select
import struct
import sys
import time
import traceback
import zlib

import numpy as np

MAGIC = 0x524F5845  # b"EXOR" little-endian
VERSION = 1
HELLO, EVAL, RESULT, ERROR, BYE = 1, 2, 3, 4, 5
GRADIENT, METRICS, FULL = 1, 2, 4
NAME_SIZE = 64
_HEADER = struct.Struct("<IHHII")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_F64 = struct.Struct("<d")


class ProtocolError(Exception):
    """exprun sent a frame this helper cannot read (a version mismatch, or a bug)."""


def _name_field(name):
    raw = name.encode()
    if not raw or len(raw) > NAME_SIZE or not all(c.isalnum() or c in "_.-" for c in name):
        raise ValueError(f"name {name!r}: 1 to {NAME_SIZE} characters of A-Z a-z 0-9 _ . -")
    return raw.ljust(NAME_SIZE, b"\0")


def _frame(kind, payload, flags=0, sequence=0):
    head = _HEADER.pack(MAGIC, kind, flags, len(payload), sequence)
    return head + payload + _U32.pack(zlib.crc32(payload, zlib.crc32(head)))


def _hello(d, n, blocks, metric_names, x0, gradient):
    parts = [struct.pack("<IIQQIIII", VERSION, 1 if gradient else 0, d, n, len(blocks), len(metric_names),
                         0 if x0 is None else 1, 0)]
    for name, (rows, cols) in blocks:
        parts.append(struct.pack("<QQ", rows, cols) + _name_field(name))
    parts += [_name_field(m) for m in metric_names]
    if x0 is not None:
        parts.append(np.ascontiguousarray(x0, dtype="<f8").tobytes())
    return _frame(HELLO, b"".join(parts))


def _block_shape(shape):
    """A parameter block as rows x cols: a vector (k,) is k x 1, a tensor (a, b, ...) is a x (b * ...)."""
    shape = tuple(int(s) for s in shape) or (1,)
    rows = shape[0]
    cols = int(np.prod(shape[1:])) if len(shape) > 1 else 1
    return rows, cols


def _die_with_parent():
    """Ask Linux to kill this process when exprun dies (no orphans even if exprun is killed -9)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        parent = os.getppid()
        ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
        if os.getppid() != parent:
            os._exit(0)
    except Exception:  # best effort: end-of-file on fd 3 also ends the loop
        pass


def serve(loss_and_grad, x0, n, *, loss=None, metrics=None, blocks=None, values_only=False, send_x0=True):
    """Answer exprun's oracle calls until it closes the channel (then return).

    loss_and_grad(x, idx) -> (loss, grad): mean loss over examples ``idx`` (int64 array; ``None``:
        all n examples) plus any regulariser, and its gradient (length d). ``None`` with
        ``values_only=True``.
    x0: the starting point (its length is the dimension d); sent to exprun unless ``send_x0`` is
        False (then the config's ``init`` decides).
    n: number of training examples (exprun draws minibatch indices in 0..n-1).
    loss(x, idx) -> float: a cheaper value-only pass, for zeroth-order methods and ``train_loss``
        (default: the first result of ``loss_and_grad``).
    metrics: {name: f(x) -> float}, evaluated over the whole data at log points. ``test_loss``,
        ``test_accuracy`` and ``train_accuracy`` fill exprun's metrics of those names; others
        are stored as ``model_info.metric.<name>`` run attributes.
    blocks: [(name, shape)] splitting x into named parameter blocks (default one block "x");
        matrix-aware optimizers read their shapes.
    x is a read-only view, valid during the call: copy it to keep it.
    """
    fds = os.environ.get("EXPRUN_ORACLE_FDS")
    if not fds:
        sys.exit("this script is an exprun external model: run it through exprun (model kind `external`)")
    fd_in, fd_out = (int(f) for f in fds.split(","))
    _die_with_parent()
    x0 = np.ascontiguousarray(x0, dtype=np.float64).reshape(-1)
    d = x0.size
    if values_only:
        if loss is None:
            raise ValueError("values_only=True needs loss=")
    elif loss_and_grad is None:
        raise ValueError("loss_and_grad is required unless values_only=True")
    if loss is None:
        loss = lambda x, idx: loss_and_grad(x, idx)[0]  # noqa: E731
    metric_names = list(metrics or {})
    metric_fns = [metrics[m] for m in metric_names]
    shapes = [(name, _block_shape(shape)) for name, shape in (blocks or [("x", (d,))])]
    if sum(r * c for _, (r, c) in shapes) != d:
        raise ValueError(f"blocks cover {sum(r * c for _, (r, c) in shapes)} coordinates; x0 has {d}")
    _write_all(fd_out, _hello(d, int(n), shapes, metric_names, x0 if send_x0 else None, not values_only))

    m = len(metric_names)
    reader = _Reader(fd_in, _HEADER.size + 8 + 8 * d + 8 * min(int(n), 1 << 16) + 4)
    outbuf = bytearray(_HEADER.size + 8 + 8 * d + 8 * m + 4)
    outview = memoryview(outbuf)
    gradient_out = np.frombuffer(outbuf, dtype="<f8", count=d, offset=_HEADER.size + 8)
    views = (None, None, None, None)
    while True:
        kind, flags, size, sequence = reader.frame()
        if kind == BYE or kind is None:
            return
        if kind != EVAL:
            raise ProtocolError(f"unexpected frame type {kind}")
        inbuf = reader.buf
        b = _U64.unpack_from(inbuf, _HEADER.size)[0]
        if views[0] is not inbuf or views[2] != b:   # views into the buffer, made again only when it or b changes
            x = np.frombuffer(inbuf, dtype="<f8", count=d, offset=_HEADER.size + 8)
            x.flags.writeable = False
            batch = np.frombuffer(inbuf, dtype="<i8", count=b, offset=_HEADER.size + 8 + 8 * d)
            views = (inbuf, x, b, batch)
        x = views[1]
        idx = None if flags & FULL else views[3]
        try:
            at = _HEADER.size + 8
            if flags & GRADIENT:
                value, grad = loss_and_grad(x, idx)
                gradient_out[:] = grad
                at += 8 * d
            else:
                value = loss(x, idx)
            _F64.pack_into(outbuf, _HEADER.size, float(value))
            if flags & METRICS:
                for fn in metric_fns:
                    _F64.pack_into(outbuf, at, float(fn(x)))
                    at += 8
        except Exception as e:  # the model raised: exprun fails the run with this message
            traceback.print_exc()
            _write_all(fd_out, _frame(ERROR, _pad8(f"{type(e).__name__}: {e}".encode()[:65536 - 8]), 0, sequence))
            continue
        answered = flags & (GRADIENT | METRICS)
        payload = at - _HEADER.size
        _HEADER.pack_into(outbuf, 0, MAGIC, RESULT, answered, payload, sequence)
        _U32.pack_into(outbuf, at, zlib.crc32(outview[:at]))
        _write_all(fd_out, outview[:at + 4])


def _pad8(raw):
    return raw + b"\0" * (-len(raw) % 8)


class _Reader:
    """Reads whole frames from fd into one buffer, grown (rarely) for a larger frame."""

    # How long a read retries before it blocks: a process asleep in a read on an idle VM takes
    # ~90 us to be woken, more than a small model's call; exprun's next request usually comes
    # within microseconds (exprun spins likewise for the answer; docs/external_oracle.md).
    SPIN_SECONDS = 200e-6

    def __init__(self, fd, size):
        self.fd = fd
        self.buf = bytearray(size)
        os.set_blocking(fd, False)

    def _readv(self, target):
        try:
            return os.readv(self.fd, [target])
        except BlockingIOError:
            pass
        until = time.perf_counter() + self.SPIN_SECONDS
        while time.perf_counter() < until:
            try:
                return os.readv(self.fd, [target])
            except BlockingIOError:
                pass
        while True:
            select.select([self.fd], [], [])
            try:
                return os.readv(self.fd, [target])
            except BlockingIOError:
                pass

    def frame(self):
        """One frame; returns (type, flags, payload size, sequence), or Nones at end-of-file."""
        view = memoryview(self.buf)
        got, need, size = 0, _HEADER.size, None
        while got < need:
            r = self._readv(view[got:need] if size is not None else view[got:])
            if r == 0:
                return None, None, None, None
            got += r
            if size is None and got >= _HEADER.size:
                magic, kind, flags, size, sequence = _HEADER.unpack_from(self.buf, 0)
                if magic != MAGIC:
                    raise ProtocolError(f"bad magic 0x{magic:08x}")
                need = _HEADER.size + size + 4
                if need > len(self.buf):  # a batch larger than any before: grow, keep what is read
                    view.release()
                    self.buf = self.buf[:got] + bytearray(need - got)
                    view = memoryview(self.buf)
        covered = _HEADER.size + size
        if zlib.crc32(view[:covered]) != _U32.unpack_from(self.buf, covered)[0]:
            raise ProtocolError("CRC-32 mismatch")
        view.release()
        return kind, flags, size, sequence


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def torch_model(module, batch_loss):
    """Adapt a ``torch.nn.Module`` for :func:`serve`: returns a dict of its keyword arguments
    (``loss_and_grad``, ``loss``, ``x0``, ``blocks``), so ``oracle.serve(n=n, **torch_model(net, f))``.

    batch_loss(module, idx) -> scalar tensor: the mean loss over examples ``idx`` (a LongTensor;
    ``None``: all). Parameters travel as float64 (exprun's precision) and are copied into the
    module's own dtype and device before each call.
    """
    import torch  # imported only when a torch model is served

    params = [p for p in module.parameters() if p.requires_grad]
    names = [name for name, p in module.named_parameters() if p.requires_grad]
    sizes = [p.numel() for p in params]

    def load(x):
        with torch.no_grad():
            offset = 0
            for p, k in zip(params, sizes):
                p.copy_(torch.from_numpy(np.array(x[offset:offset + k])).view_as(p))
                offset += k

    def index(idx):
        return None if idx is None else torch.from_numpy(np.array(idx))

    def loss_and_grad(x, idx):
        load(x)
        module.zero_grad(set_to_none=False)
        value = batch_loss(module, index(idx))
        value.backward()
        return float(value), torch.cat([p.grad.reshape(-1) for p in params]).double().cpu().numpy()

    def loss(x, idx):
        load(x)
        with torch.no_grad():
            return float(batch_loss(module, index(idx)))

    x0 = torch.cat([p.detach().reshape(-1) for p in params]).double().cpu().numpy()
    return {"loss_and_grad": loss_and_grad, "loss": loss, "x0": x0,
            "blocks": [(name.replace("/", "."), tuple(p.shape)) for name, p in zip(names, params)]}

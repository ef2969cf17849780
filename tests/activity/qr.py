"""Reading a QR code PNG back into its text, for tests: no decoder library is installed, so
this reads the modules off the image and decodes them the way the standard lays them out
(format information, mask, the zigzag data order, block interleaving, numeric /
alphanumeric / byte segments). Error correction is not applied: a PNG we generated has no
damage to correct, and a wrong module makes the decode fail or differ, which is the point.

Function-pattern positions come from the `qrcode` library's own placement routines, so the
data modules are exactly the ones the standard leaves free."""

from __future__ import annotations

import io

import qrcode
from PIL import Image
from qrcode import base, constants, util

__all__ = ["decode_qr_png"]

_LEVELS = (constants.ERROR_CORRECT_L, constants.ERROR_CORRECT_M, constants.ERROR_CORRECT_Q, constants.ERROR_CORRECT_H)
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def _modules(png: bytes) -> list[list[bool]]:
    image = Image.open(io.BytesIO(png)).convert("L")
    width, height = image.size
    pixels = image.load()
    dark = lambda x, y: pixels[x, y] < 128  # noqa: E731
    top = next(y for y in range(height) if any(dark(x, y) for x in range(width)))
    left = next(x for x in range(width) if dark(x, top))
    run = 0
    while dark(left + run, top):
        run += 1
    box = run / 7  # the finder pattern's top edge is 7 modules wide
    count = round((width - 2 * left) / box)
    return [[dark(int(left + (c + 0.5) * box), int(top + (r + 0.5) * box)) for c in range(count)] for r in range(count)]


def _layout(version: int, level: int, mask: int) -> qrcode.QRCode:
    code = qrcode.QRCode(version=version, error_correction=level)
    n = code.modules_count = version * 4 + 17
    code.modules = [[None] * n for _ in range(n)]
    code.setup_position_probe_pattern(0, 0)
    code.setup_position_probe_pattern(n - 7, 0)
    code.setup_position_probe_pattern(0, n - 7)
    code.setup_position_adjust_pattern()
    code.setup_timing_pattern()
    code.setup_type_info(False, mask)
    if version >= 7:
        code.setup_type_number(False)
    return code


def _data_positions(code: qrcode.QRCode) -> list[tuple[int, int]]:
    """The free modules in the order the standard fills them (as qrcode's map_data does)."""
    n = code.modules_count
    order, row, step = [], n - 1, -1
    for col in range(n - 1, 0, -2):
        if col <= 6:
            col -= 1
        while True:
            for c in (col, col - 1):
                if code.modules[row][c] is None:
                    order.append((row, c))
            row += step
            if row < 0 or row >= n:
                row -= step
                step = -step
                break
    return order


def _segments(data: list[int], version: int) -> str:
    bits = "".join(f"{byte:08b}" for byte in data)
    at, out = 0, []

    def take(count: int) -> int:
        nonlocal at
        value = int(bits[at:at + count], 2)
        at += count
        return value

    small = version < 10
    while at + 4 <= len(bits):
        mode = take(4)
        if mode == 0:
            break
        if mode == 1:  # numeric
            length = take(10 if small else 12)
            digits = ""
            while len(digits) < length:
                left = length - len(digits)
                digits += f"{take(10):03d}" if left >= 3 else f"{take(7):02d}" if left == 2 else str(take(4))
            out.append(digits)
        elif mode == 2:  # alphanumeric
            length = take(9 if small else 11)
            chars = ""
            while len(chars) < length:
                if length - len(chars) >= 2:
                    value = take(11)
                    chars += _ALNUM[value // 45] + _ALNUM[value % 45]
                else:
                    chars += _ALNUM[take(6)]
            out.append(chars)
        elif mode == 4:  # bytes
            length = take(8 if small else 16)
            out.append(bytes(take(8) for _ in range(length)).decode("utf-8"))
        else:
            raise ValueError(f"unsupported segment mode {mode}")
    return "".join(out)


def decode_qr_png(png: bytes) -> str:
    """The text of the QR code in `png`; ValueError when it cannot be read."""
    matrix = _modules(png)
    n = len(matrix)
    version = (n - 17) // 4
    if version < 1 or version * 4 + 17 != n:
        raise ValueError(f"{n} modules is not a QR code size")
    for level in _LEVELS:
        for mask in range(8):
            layout = _layout(version, level, mask)
            fixed = all(layout.modules[r][c] is None or layout.modules[r][c] == matrix[r][c]
                        for r in range(n) for c in range(n))
            if not fixed:
                continue
            masked = util.mask_func(mask)
            stream = [matrix[r][c] != masked(r, c) for r, c in _data_positions(layout)]
            codewords = [int("".join("1" if b else "0" for b in stream[i:i + 8]), 2)
                         for i in range(0, len(stream) - 7, 8)]
            blocks = base.rs_blocks(version, level)
            data: list[list[int]] = [[] for _ in blocks]
            index = 0
            for i in range(max(b.data_count for b in blocks)):
                for number, block in enumerate(blocks):
                    if i < block.data_count:
                        data[number].append(codewords[index])
                        index += 1
            return _segments([byte for block in data for byte in block], version)
    raise ValueError("no format information matches: not a QR code this reader understands")

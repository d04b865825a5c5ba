"""COCO run-length masks, decoded exactly as annot's Swift model does (AnnotModel/RLE.swift,
itself pycocotools' maskApi.c rleFrString / rleToString).

Runs are column-major (down the first column, then the next), starting with background."""

__all__ = ["decode_counts", "encode_counts", "runs_to_numpy", "area", "bounding_box"]


def decode_counts(s):
    """COCO's compressed counts string -> run lengths; None if malformed (as Swift's RLE.decode)."""
    b = s.encode("utf-8") if isinstance(s, str) else bytes(s)
    counts = []
    n = len(b)
    p = 0
    while p < n:
        x = 0
        k = 0
        more = True
        while more:
            if p >= n:
                return None
            c = b[p] - 48
            if c < 0 or c >= 64:
                return None
            x |= (c & 0x1F) << (5 * k)
            more = (c & 0x20) != 0
            p += 1
            k += 1
            if not more and (c & 0x10) != 0:
                x |= -1 << (5 * k)
            if k > 12:
                return None
        if len(counts) > 2:
            x += counts[-2]
        if x < 0:
            return None
        counts.append(x)
    return counts


def encode_counts(counts):
    """Run lengths -> COCO's compressed counts string (as Swift's RLE.encode)."""
    out = bytearray()
    for i, x in enumerate(counts):
        if i > 2:
            x -= counts[i - 2]
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = (x != -1) if (c & 0x10) else (x != 0)
            if more:
                c |= 0x20
            out.append(c + 48)
    return out.decode("ascii")


def runs_to_numpy(runs, height, width):
    """Run lengths -> uint8 array of shape (height, width), 1 on the foreground.

    Raises ValueError if the runs do not cover exactly height*width pixels (annot rejects such
    masks at import: "RLE runs cover N pixels, not M")."""
    import numpy as np
    total = sum(runs)
    if total != height * width:
        raise ValueError("RLE runs cover %d pixels, not %d" % (total, height * width))
    values = np.zeros(len(runs), dtype=np.uint8)
    values[1::2] = 1
    flat = np.repeat(values, np.asarray(runs, dtype=np.int64))
    return flat.reshape((width, height)).T.copy()


def area(runs):
    """Foreground pixels (Swift's RLE.area)."""
    return sum(runs[1::2])


def bounding_box(runs, height):
    """Tight [x, y, w, h] of the foreground (Swift's RLE.boundingBox); [0, 0, 0, 0] when empty,
    None when height is 0."""
    if height <= 0:
        return None
    min_x = min_y = None
    max_x = max_y = -1
    pos = 0
    for i, n in enumerate(runs):
        if i % 2 == 1 and n > 0:
            start, end = pos, pos + n - 1
            x0, x1 = start // height, end // height
            min_x = x0 if min_x is None else min(min_x, x0)
            max_x = max(max_x, x1)
            if x0 == x1:
                y0, y1 = start % height, end % height
                min_y = y0 if min_y is None else min(min_y, y0)
                max_y = max(max_y, y1)
            else:
                min_y = 0
                max_y = height - 1
        pos += n
    if max_x < 0:
        return [0.0, 0.0, 0.0, 0.0]
    return [float(min_x), float(min_y), float(max_x - min_x + 1), float(max_y - min_y + 1)]

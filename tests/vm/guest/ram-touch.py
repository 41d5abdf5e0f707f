#!/usr/bin/python3
"""Guest helper of test-system-ram.sh: use memory and show where it lives.

usage: ram-touch.py MIB LO HI GO

Maps MIB MiB of private anonymous memory, writes a pattern into every byte
(each 4 KiB page starts with its own index, the rest is random), reads the
physical frame of every page from /proc/self/pagemap (root sees PFNs) and
prints one line:
    touched PAGES pages, IN in [LO, HI)
where [LO, HI) is a physical byte range (hex or decimal). Then it waits
until the file GO exists (the caller offlines memory meanwhile), verifies
the pattern byte for byte, looks up the frames again and prints
    verified PAGES pages, IN in [LO, HI)
Exit 0 when every page read back its pattern, 1 otherwise.
"""
import ctypes
import mmap
import os
import struct
import sys
import time

PAGE = 4096
PFN_MASK = (1 << 55) - 1
PRESENT = 1 << 63


def frames(addr, npages):
    """The PFN of each page (None if not present) of [addr, +npages)."""
    with open("/proc/self/pagemap", "rb") as f:
        f.seek(addr // PAGE * 8)
        raw = f.read(npages * 8)
    out = []
    for (ent,) in struct.iter_unpack("<Q", raw):
        out.append(ent & PFN_MASK if ent & PRESENT else None)
    return out


def count_in(pfns, lo, hi):
    return sum(1 for p in pfns if p is not None and lo <= p * PAGE < hi)


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    mib, lo, hi, go = (int(sys.argv[1]), int(sys.argv[2], 0),
                       int(sys.argv[3], 0), sys.argv[4])
    size = mib << 20
    npages = size // PAGE
    mem = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    addr = ctypes.addressof(ctypes.c_char.from_buffer(mem))
    fill = os.urandom(PAGE)
    pattern = b"".join(struct.pack("<Q", i) + fill[8:] for i in range(npages))
    mem[:] = pattern  # touches every page: each one gets a frame now
    pfns = frames(addr, npages)
    if None in pfns:
        sys.exit("ram-touch: a touched page has no frame (pagemap needs root)")
    print(f"touched {npages} pages, {count_in(pfns, lo, hi)} in "
          f"[{lo:#x}, {hi:#x})", flush=True)
    while not os.path.exists(go):
        time.sleep(0.1)
    ok = mem[:] == pattern
    pfns = frames(addr, npages)
    print(f"verified {npages} pages, {count_in(pfns, lo, hi)} in "
          f"[{lo:#x}, {hi:#x})" + ("" if ok else ": PATTERN MISMATCH"),
          flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

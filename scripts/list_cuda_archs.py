"""List the GPU architectures compiled into a shared library (e.g. softrecon/_C*.so).

Reads the library's ``.nv_fatbin`` section (no GPU and no cuobjdump needed): each fat
binary (magic 0xBA55ED50) holds entries of kind 2 (ELF: machine code, 'sm_XX') or 1 (PTX,
'compute_XX', compiled by the driver for newer GPUs), the architecture number at byte 28
of the entry header. With ``--expect "7.5;8.0;12.0+PTX"`` (TORCH_CUDA_ARCH_LIST syntax)
it exits non-zero, naming them, when any of those is missing.

    python scripts/list_cuda_archs.py softrecon/_C.cpython-311-x86_64-linux-gnu.so --expect "$ARCHS"
"""

from __future__ import annotations

import argparse
import struct
import subprocess
import sys
from typing import List, Set

FATBIN_MAGIC = 0xBA55ED50
KIND_PTX, KIND_ELF = 1, 2
ARCH_OFFSET = 28  # bytes into an entry header


def fatbin_section(library: str) -> bytes:
    """The bytes of the library's .nv_fatbin section ('' when it has none)."""
    listing = subprocess.run(["readelf", "-S", "-W", library], capture_output=True, text=True, check=True).stdout
    for line in listing.splitlines():
        fields = line.replace("[ ", "[").split()
        if ".nv_fatbin" in fields:
            at = fields.index(".nv_fatbin")
            offset, size = int(fields[at + 3], 16), int(fields[at + 4], 16)
            with open(library, "rb") as handle:
                handle.seek(offset)
                return handle.read(size)
    return b""


def compiled_archs(library: str) -> List[str]:
    """'sm_XX' for machine code and 'compute_XX' for PTX, in the order stored."""
    blob, pos, found = fatbin_section(library), 0, []
    while pos + 16 <= len(blob):
        magic, _version, header_size, size = struct.unpack_from("<IHHQ", blob, pos)
        if magic != FATBIN_MAGIC:
            pos += 8  # fat binaries are 8-byte aligned within the section
            continue
        entry, end = pos + header_size, pos + header_size + size
        while entry < end:
            kind, _, entry_header, entry_size = struct.unpack_from("<HHIQ", blob, entry)
            arch = struct.unpack_from("<I", blob, entry + ARCH_OFFSET)[0]
            found.append(("compute_" if kind == KIND_PTX else "sm_") + str(arch))
            entry += entry_header + entry_size
        pos = end
    return found


def expected_archs(arch_list: str) -> Set[str]:
    """'7.5;12.0+PTX' -> {'sm_75', 'sm_120', 'compute_120'}."""
    wanted = set()
    for arch in filter(None, (a.strip() for a in arch_list.split(";"))):
        number = arch.replace("+PTX", "").replace(".", "")
        wanted.add(f"sm_{number}")
        if arch.endswith("+PTX"):
            wanted.add(f"compute_{number}")
    return wanted


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("library", help="the shared library to inspect")
    parser.add_argument("--expect", help='architectures that must be there, e.g. "7.5;8.0;12.0+PTX"')
    args = parser.parse_args(argv)
    found = compiled_archs(args.library)
    print(" ".join(found) if found else "(no CUDA device code)")
    if args.expect:
        missing = sorted(expected_archs(args.expect) - set(found))
        if missing:
            print(f"missing: {' '.join(missing)}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

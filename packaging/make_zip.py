#!/usr/bin/env python3
"""make_zip.py - write a zip archive from NAME=PATH pairs, in the order
given, with fixed timestamps so that the same inputs give the same bytes.

usage: make_zip.py OUT.zip NAME=PATH...
The archive's files sit in one top-level folder named after OUT.zip.
"""
import os
import sys
import zipfile


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    out = argv[1]
    top = os.path.basename(out)
    if top.endswith(".zip"):
        top = top[:-4]
    tmp = out + ".tmp"
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for pair in argv[2:]:
            name, sep, path = pair.partition("=")
            if not sep or not name or not path:
                sys.stderr.write("make_zip.py: bad NAME=PATH: %s\n" % pair)
                return 2
            info = zipfile.ZipInfo(top + "/" + name, (2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with open(path, "rb") as f:
                z.writestr(info, f.read())
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

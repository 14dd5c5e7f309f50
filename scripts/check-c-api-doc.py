#!/usr/bin/env python3
"""Checks the C functions that docs/c-api.md shows against include/tapis_auth.h.

Every call written in backticks in the document, `tapis_auth_name(a, b, err)`, must name a
function the header declares, with as many arguments as the header gives it. A family written
`tapis_auth_options_set_min_valid/_timeout_ms(opts, value, err)` is checked member by member
(`_timeout_ms` replaces the end of the first name). In the first column of the "Functions"
table every entry must be such a call: a bare `_suffix` names no signature to check.
Exits 1 listing every mismatch.
"""
import re
import sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
header = (root / "include/tapis_auth.h").read_text()
doc_path = root / "docs/c-api.md"
doc = doc_path.read_text()

# Declarations: a return type, the name, the parameter list, then ';' (possibly over lines).
decls = {}
for m in re.finditer(r"^[A-Za-z_][\w \*]*?\b(tapis_auth_\w+)\(([^)]*)\);", header, re.M):
    params = " ".join(m.group(2).split())
    decls[m.group(1)] = [] if params in ("", "void") else [p.strip() for p in params.split(",")]

errors = []
CALL = re.compile(r"^(tapis_auth_\w+(?:/_\w+)*)\(([^()]*)\)$")


def expand(names):
    first, *suffixes = names.split("/")
    out = [first]
    for suffix in suffixes:
        parts = first.split("_")
        for cut in range(len(parts) - 1, 0, -1):
            candidate = "_".join(parts[:cut]) + suffix
            if candidate in decls:
                out.append(candidate)
                break
        else:
            out.append(first + "…" + suffix)
    return out


def check_call(text, line_no):
    m = CALL.match(text)
    if not m:
        return False
    args = m.group(2).strip()
    n_doc = 0 if args == "" else len(args.split(","))
    for name in expand(m.group(1)):
        if name not in decls:
            errors.append(f"docs/c-api.md:{line_no}: `{text}`: {name} is not in the header")
        elif len(decls[name]) != n_doc:
            errors.append(
                f"docs/c-api.md:{line_no}: `{text}`: {name} takes {len(decls[name])} "
                f"arguments in the header ({', '.join(decls[name])}), the document shows {n_doc}"
            )
    return True


in_functions = False
checked = 0
for no, line in enumerate(doc.splitlines(), 1):
    if line.startswith("## "):
        in_functions = line.strip() == "## Functions"
    for code in re.findall(r"`([^`]+)`", line):
        for piece in code.split("; "):
            if check_call(piece.strip(), no):
                checked += 1
    if in_functions and line.startswith("| `"):
        first_cell = line.split("|")[1]
        for code in re.findall(r"`([^`]+)`", first_cell):
            for piece in code.split("; "):
                if not CALL.match(piece.strip()):
                    errors.append(
                        f"docs/c-api.md:{no}: `{piece.strip()}` in the Functions table is not a "
                        "call with its arguments: its signature cannot be checked"
                    )

if checked == 0:
    errors.append("docs/c-api.md: no calls found to check (has the format changed?)")
for e in errors:
    print(e, file=sys.stderr)
if errors:
    sys.exit(1)
print(f"docs/c-api.md: {checked} documented calls match include/tapis_auth.h")

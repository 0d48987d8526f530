#!/usr/bin/env python3
"""Checks that every public declaration in include/multiproc/*.hpp says its
Python equivalent and its errors (house style, Comments: Abseil's header
style). Run by scripts/lint.sh.

  scripts/check_public_docs.py [header ...]   default: include/multiproc/*.hpp

Exit status 1, with one line per problem, when:
  - a header does not open with a comment block holding an example (a line
    indented by three or more spaces after `//`);
  - a public function declaration has no comment mentioning `Python`;
  - such a function can throw (is not `noexcept`, `= default`, or a
    destructor) and its comment has no `Errors:` (write `Errors: none.` when
    it throws nothing of its own);
  - a public class, struct or enum definition has no comment mentioning
    `Python`.

The heuristics, kept simple on purpose (this is not a C++ parser):
  - A declaration's comment is the run of `//` lines directly above its
    first line (above `template <...>` for a template).
  - A function with no comment of its own that starts on the line right
    after the previous function declaration at the same level ends (no
    blank line between) shares that one's comment: overloads and families
    such as terminate()/kill()/interrupt() are documented once, as in
    Abseil. Types and functions after anything else share nothing.
  - Skipped: namespace `detail` (and any namespace with a `detail`
    component), `private:` and `protected:` sections (a `class` starts
    private, a `struct` public) and whatever they contain, function bodies,
    `= delete`d
    functions, members defined outside their class (`void encoder::write(`:
    documented where declared), forward declarations, friend class
    declarations and preprocessor lines.
  - A statement is a function declaration when it has a `(` outside angle
    brackets and no `=` before that `(` (so `std::function<void()> f{};`
    and `int x = (1);` are not). Braces inside parentheses (`T{}` as an
    argument) do not open a scope; brace initializers in member-initializer
    lists would confuse it (none are used in these headers).
  - A string or character literal is blanked before braces are counted.
"""

import glob
import os
import re
import sys

ACCESS = re.compile(r"^\s*(public|private|protected)\s*:(?!:)")
TYPE_HEAD = re.compile(r"^(?:template\s*<.*>\s*)?(class|struct|union|enum)\b")
NAMESPACE_HEAD = re.compile(r"^(?:inline\s+)?namespace\b\s*([\w:\s]*)")


def strip_code(line):
    """The code part of a line: literals blanked, `//` comment removed."""
    out = []
    i = 0
    while i < len(line):
        c = line[i]
        if c in "\"'":
            quote = c
            out.append(" ")
            i += 1
            while i < len(line) and line[i] != quote:
                if line[i] == "\\":
                    i += 1
                i += 1
            i += 1
            continue
        if line.startswith("//", i):
            break
        out.append(c)
        i += 1
    return "".join(out)


def is_comment(line):
    return line.lstrip().startswith("//")


def first_paren_outside_angles(text):
    """Index of the first `(` outside <...>, or -1."""
    depth = 0
    i = 0
    while i < len(text):
        c = text[i]
        if text.startswith("->", i):
            i += 2
            continue
        if text.startswith("operator", i):
            # operator<, operator(), operator== ...: the name ends at the
            # next '(' after the operator's own symbols.
            j = text.find("(", i + len("operator") + 1)
            return j if depth == 0 else -1
        if c == "<":
            depth += 1
        elif c == ">" and depth > 0:
            depth -= 1
        elif c == "(" and depth == 0:
            return i
        i += 1
    return -1


def is_function(text):
    text = text.strip()
    if re.match(r"^(using|typedef|static_assert|friend\s+class|return)\b",
                text):
        return False
    if TYPE_HEAD.match(text) or NAMESPACE_HEAD.match(text):
        return False
    paren = first_paren_outside_angles(text)
    if paren < 0:
        return False
    # A leading requires-clause's `(` is taken for the parameter list; that
    # is harmless, as a function always follows one.
    before = text[:paren]
    if "=" in before.replace("==", "").replace("operator=", ""):
        return False
    return True


def is_out_of_line(text):
    """`void encoder::write(...)`: a member defined outside its class,
    documented where it is declared."""
    paren = first_paren_outside_angles(text.strip())
    name = re.search(r"([\w:~]+)\s*$", text.strip()[:paren])
    return bool(name and "::" in name.group(1)
                and not name.group(1).startswith("::"))


def can_throw(text):
    if re.search(r"\bnoexcept\b(?!\s*\(\s*false)", text):
        return False
    if re.search(r"=\s*default\s*;?\s*$", text.strip()):
        return False
    if re.search(r"(^|[\s:])~\w+\s*\(", text):
        return False  # destructors are noexcept
    return True


class Scope:
    def __init__(self, kind, public):
        self.kind = kind  # "ns", "class", "enum", "body", "skip"
        self.public = public
        self.last_end = None  # last line of the previous declaration
        self.last_comment = None  # its comment, when it was a function


def check(path):
    problems = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")

    head = []
    for line in lines:
        if not is_comment(line):
            break
        head.append(line)
    if not head or not any(re.match(r"^//\s{3,}\S", l) for l in head):
        problems.append(f"{path}:1: the header must open with an overview "
                        "and an example (a comment line indented 3+ spaces)")

    def comment_above(start):
        block = []
        i = start - 1
        while i >= 0 and is_comment(lines[i]):
            block.append(lines[i])
            i -= 1
        return "\n".join(reversed(block))

    stack = [Scope("ns", True)]
    stmt = ""
    stmt_start = None
    paren = 0

    def visible():
        return all(s.public and s.kind in ("ns", "class") for s in stack)

    def emit(kind, text, start, end):
        scope = stack[-1]
        comment = comment_above(start)
        if kind == "function" and not comment and scope.last_end is not None \
                and scope.last_comment is not None \
                and start == scope.last_end + 1:
            comment = scope.last_comment
        scope.last_end = end
        scope.last_comment = comment if kind == "function" else None
        if not visible():
            return
        first = lines[start].strip()
        if kind == "function":
            if re.search(r"=\s*delete\s*;?\s*$", text.strip()):
                return
            if is_out_of_line(text):
                return
            if "Python" not in comment:
                problems.append(f"{path}:{start + 1}: no `Python` in the "
                                f"comment of: {first}")
            if can_throw(text) and "Errors:" not in comment:
                problems.append(f"{path}:{start + 1}: no `Errors:` in the "
                                f"comment of: {first}")
        elif kind == "type" and "Python" not in comment:
            problems.append(f"{path}:{start + 1}: no `Python` in the comment "
                            f"of: {first}")

    for n, raw in enumerate(lines):
        if raw.lstrip().startswith("#"):
            continue
        code = strip_code(raw)
        if stack[-1].kind in ("class",) and paren == 0 and not stmt.strip():
            m = ACCESS.match(code)
            if m:
                stack[-1].public = m.group(1) == "public"
                code = code[m.end():]
        for c in code:
            scope = stack[-1]
            collecting = scope.kind in ("ns", "class")
            if collecting and stmt_start is None and not c.isspace():
                stmt_start = n
            if c == "(":
                paren += 1
            elif c == ")":
                paren = max(0, paren - 1)
            if c == "{" and paren == 0:
                if not collecting:
                    stack.append(Scope("body", False))
                    continue
                text = stmt.strip()
                ns = NAMESPACE_HEAD.match(text)
                ty = TYPE_HEAD.match(text)
                if ns:
                    # Any `detail` component hides what it holds
                    # (multiproc::inline v0::detail::channel as well).
                    stack.append(Scope("ns", "detail" not in re.split(
                        r"::|\s+", ns.group(1))))
                    stmt, stmt_start = "", None
                elif ty:
                    emit("type", text, stmt_start, n)
                    if ty.group(1) == "enum":
                        stack.append(Scope("enum", True))
                    else:
                        stack.append(Scope("class", ty.group(1) != "class"))
                    stmt, stmt_start = "", None
                elif is_function(text):
                    emit("function", text, stmt_start, n)
                    stack.append(Scope("body", False))
                    stack[-1].ends_statement = True
                    stmt, stmt_start = "", None
                else:
                    stack.append(Scope("skip", False))  # an initializer
                    stmt += c
                continue
            if c == "}" and paren == 0:
                if stack[-1].kind in ("body", "skip"):
                    closed = stack.pop()
                    if getattr(closed, "ends_statement", False):
                        stack[-1].last_end = n
                    elif stack[-1].kind in ("ns", "class"):
                        stmt += c
                    continue
                if len(stack) > 1:
                    stack.pop()
                    # `};` after a class: the type was emitted at its `{`.
                    stack[-1].last_end = n
                    stack[-1].last_comment = None
                stmt, stmt_start = "", None
                continue
            if not collecting:
                continue
            if c == ";" and paren == 0:
                text = stmt.strip()
                if text and stmt_start is not None:
                    ty = TYPE_HEAD.match(text)
                    if ty is None and is_function(text):
                        emit("function", text + ";", stmt_start, n)
                    else:
                        stack[-1].last_end = n
                        stack[-1].last_comment = None
                stmt, stmt_start = "", None
                continue
            stmt += c
        if stack[-1].kind in ("ns", "class") and stmt:
            stmt += " "
    return problems


def main(argv):
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    headers = argv[1:] or sorted(
        glob.glob(os.path.join(root, "include", "multiproc", "*.hpp")))
    problems = []
    for header in headers:
        problems += check(os.path.relpath(header))
    for p in problems:
        print(p)
    if problems:
        print(f"check_public_docs: {len(problems)} problem(s) in "
              f"{len(headers)} headers", file=sys.stderr)
        return 1
    print(f"check_public_docs: {len(headers)} headers, every public "
          "declaration documented")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""Finds import cycles between the modules of each crate (`make lint` runs it).

A module is a source file; `use crate::a::b::C` (or `super::`, `self::`), and a path
written inline in code, names the deepest module file that exists on that path. The crate root (lib.rs) only declares
and re-exports, so a path through it is resolved to the module it re-exports from
where that is written as `pub use a::...`; other uses of the root are ignored.
Prints every cycle found (as its strongly connected component) and exits 1 if any.
"""
import os, re, sys

def module_files(src):
    files = {}
    for dirpath, _, names in os.walk(src):
        for name in names:
            if not name.endswith('.rs'):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, src)[:-3]
            parts = rel.split(os.sep)
            if parts[-1] in ('mod', 'lib', 'main'):
                parts = parts[:-1]
            files[tuple(parts)] = path
    return files

INLINE = re.compile(r'\b((?:crate|super|self)(?:::[a-z_][a-z0-9_]*)+)')
USE = re.compile(r'^\s*(?:pub(?:\([^)]*\))?\s+)?use\s+([^;]+);', re.M)

def paths_of(tree):
    """Expands `a::{b, c::{d}}` into full paths."""
    tree = tree.strip()
    m = re.match(r'^(.*?)::\{(.*)\}$', tree, re.S)
    if not m:
        return [re.sub(r'\s+as\s+\w+$', '', tree).strip()]
    prefix, inner = m.group(1), m.group(2)
    out, depth, cur = [], 0, ''
    for ch in inner:
        if ch == ',' and depth == 0:
            out.append(cur); cur = ''
            continue
        depth += ch == '{'
        depth -= ch == '}'
        cur += ch
    out.append(cur)
    return [p for part in out if part.strip() for p in
            ([prefix] if part.strip() == 'self' else [prefix + '::' + q for q in paths_of(part)])]

def strip_tests(text):
    i = text.find('#[cfg(test)]')
    return text if i < 0 else text[:i]

def resolve(files, here, path):
    """The module file a `use` path lands in, or None outside the crate."""
    parts = path.split('::')
    if parts[0] == 'crate':
        base, rest = [], parts[1:]
    elif parts[0] in ('super', 'self'):
        base = list(here)
        while parts and parts[0] in ('super', 'self'):
            if parts[0] == 'super':
                base = base[:-1]
            parts = parts[1:]
        rest = parts
    else:
        return None
    for i in range(len(rest), 0, -1):
        key = tuple(base + rest[:i])
        if key in files:
            return key
    return None

def main():
    root = sys.argv[1] if len(sys.argv) > 1 else 'crates'
    found = False
    for crate in sorted(os.listdir(root)):
        src = os.path.join(root, crate, 'src')
        if not os.path.isdir(src):
            continue
        files = module_files(src)
        edges = {m: set() for m in files}
        for module, path in files.items():
            if module == ():
                continue
            text = strip_tests(open(path).read())
            code = '\n'.join(l for l in text.splitlines() if not l.lstrip().startswith('//'))
            inline = INLINE.findall(USE.sub('', code))
            for tree in USE.findall(code) + inline:
                for p in paths_of(tree):
                    target = resolve(files, module, p)
                    if target is None or target == () or target == module:
                        continue
                    edges[module].add(target)
        # Tarjan
        index, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]
        sys.setrecursionlimit(10000)
        def visit(v):
            index[v] = low[v] = counter[0]; counter[0] += 1
            stack.append(v); on.add(v)
            for w in edges[v]:
                if w not in index:
                    visit(w); low[v] = min(low[v], low[w])
                elif w in on:
                    low[v] = min(low[v], index[w])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop(); on.discard(w); comp.append(w)
                    if w == v: break
                if len(comp) > 1:
                    comps.append(comp)
        for v in edges:
            if v not in index:
                visit(v)
        for comp in comps:
            found = True
            names = sorted('::'.join(c) for c in comp)
            print(f"{crate}: cycle among {', '.join(names)}")
            for a in comp:
                for b in edges[a]:
                    if b in comp:
                        print(f"    {'::'.join(a)} -> {'::'.join(b)}")
    if not found:
        print("no module import cycles")
    sys.exit(1 if found else 0)

main()

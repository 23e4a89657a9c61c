#!/usr/bin/env python3
"""Assemble extra real text for mbzip's text model from Debian packages.

Reads packages.py (what to take), downloads the binary packages with
`apt-get download` into a cache, unpacks them with `dpkg-deb -x`, keeps the
text files that pass the filters below, and writes .tar.zst shards in the
train corpus format plus MANIFEST.tsv, FILTERED.tsv and SOURCES.md.

Filters, in this order, for every candidate file:

  1. name: a path component named "eval" (the corpus walker refuses those)
     or a name that is, or names, an evaluation file or work (alice29,
     asyoulik, lcet10, plrabn12, xargs, book1, paper1, Alice in Wonderland,
     As You Like It, Paradise Lost, Far from the Madding Crowd, ...);
  2. size: under 200 bytes after decompression, or over the file limit;
  3. text: what modalities.Detect would not call text (a NUL byte, invalid
     UTF-8, or over 1% control bytes in the first 1 KiB, the first 64 KiB or
     the whole file), or most bytes on lines over 1000 bytes (minified).
     Texinfo's index markers (NUL BS "[" / NUL BS "]") are removed from info
     files first: the only change made to any file besides decompression
     and the entry and paragraph removals below;
  4. duplicates: SHA-256 equal to a member of the train shards, or to a file
     already taken;
  5. contamination: the file shares a 64-byte window with an eval file
     (exact bytes, tested at stride 32 against every eval window) or a
     64-character window of normalised text (lowercase, runs of other
     characters folded to one space; tested at stride 16). A shared span
     of 95 normalised characters (about 15 words) or 127 raw bytes is
     always found. Windows with few distinct bytes or few letters do not
     count.

Fortune files are filtered entry by entry first: an entry that shares an
8-word run with an eval file or names an eval work is removed. Files marked
`paragraphs` (FOLDOC) lose only the blank-line-separated paragraphs that
share a window with an eval file, and are then checked again as a whole.

FILTERED.tsv in the output lists every dropped file or entry without
quoting any text; FILTERED-detail.tsv in the cache, outside the training
folder, adds the shared windows for review.

Eval files are read only here, only to build the filter sets. Nothing
else of the eval folder is used and nothing is written near it.

Run with `bash scripts/debian-text/build.sh` (see README.md). CPU use is
kept low: the process renices itself to 10 and zstd runs single-threaded.
"""

import argparse
import collections
import fnmatch
import glob
import gzip
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in the work tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from packages import PACKAGES, MIB  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))

MIN_BYTES = 200
DEFAULT_MAX_FILE = 8 * MIB
SHARD_LIMIT = 15 * MIB  # compressed bytes, hard limit per shard
SHARD_BUDGET = 48 * MIB  # raw bytes per shard before compression
ZSTD_LEVEL = 19

# Eval files by name. Distinctive names are refused as a name or a name stem
# in any case (xargs.1, ALICE29.TXT, book1.gz); the generic ones (bib, news,
# trans, cp.html, ...) only as exactly that file name, so that NEWS files
# and bib.vim are kept.
EVAL_STEMS = {
    "alice29", "asyoulik", "lcet10", "plrabn12", "xargs", "book1", "book2",
    "paper1", "paper2", "paper3", "paper4", "paper5", "paper6", "progc", "progl",
    "progp",
}
EVAL_NAMES = {"bib", "news", "trans", "cp.html", "fields.c", "grammar.lsp"}
# Words in a path that name an eval work.
EVAL_PATH_WORDS = re.compile(
    rb"alice|wonderland|asyoulik|as[-_ ]?you[-_ ]?like|paradise[-_ ]?lost|"
    rb"plrabn|madding|lcet10", re.I)
# Titles or authors in a fortune entry.
EVAL_TITLE_RE = re.compile(
    rb"alice|wonderland|lewis carroll|as you like it|paradise lost|milton|"
    rb"madding crowd|thomas hardy|looking.glass", re.I)

SKIP_EXT = {
    "png", "jpg", "jpeg", "gif", "svg", "svgz", "ico", "xpm", "pbm", "pgm", "ppm",
    "bmp", "tif", "tiff", "webp", "eot", "woff", "woff2", "ttf", "otf", "pfb",
    "afm", "pdf", "ps", "eps", "dvi", "mo", "gmo", "elc", "so", "a", "o", "pyc",
    "zip", "jar", "db", "sqlite", "npz", "npy", "mng", "webm", "ogg", "wav",
    "mp3", "epub", "u3d", "xz", "bz2", "zst", "lz", "js", "css", "map", "json",
    "inv", "pickle", "doctree", "lock", "dat", "tfm", "vf", "pk", "cur", "ri",
    "bin", "class", "wasm",
}
# Files that are the same boilerplate in every package, or Debian metadata.
SKIP_GLOBS = (
    "usr/share/doc/*/copyright", "usr/share/doc/*/changelog*",
    "usr/share/doc/*/NEWS.Debian", "usr/share/doc/*/README.Debian",
    "usr/share/lintian/*", "usr/share/doc-base/*", "usr/share/bug/*",
    "usr/share/locale/*", "usr/share/man/*/man*/*",  # translated man pages (man/LL/manN)
)

# Control bytes as modalities.Detect counts them: below 0x20 except tab, LF,
# VT, FF, CR and ESC, plus DEL. Detect calls a sample with a NUL, invalid
# UTF-8 or more than 1% of these bytes binary; build.py holds every file to
# that test so that the corpus walker tags all of them as text.
_CTRL = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 27)) + b"\x7f"
_NOT_CTRL = bytes(b for b in range(256) if b not in _CTRL)
DETECT_HEADS = (1024, 64 << 10)  # corpus.DetectBytes, modalities.DetectLimit


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


# --------------------------------------------------------------------------
# Packages: versions, download, cache

def candidate_versions(pkgs):
    """The version apt would install of each package, from one apt-cache call."""
    out = subprocess.run(["apt-cache", "show", "--no-all-versions"] + list(pkgs),
                         capture_output=True, text=True).stdout
    vers = {}
    for para in out.split("\n\n"):
        p = re.search(r"^Package: (\S+)$", para, re.M)
        v = re.search(r"^Version: (\S+)$", para, re.M)
        if p and v:
            vers.setdefault(p.group(1), v.group(1))
    missing = [p for p in pkgs if p not in vers]
    if missing:
        raise SystemExit(f"debian-text: packages not found (run apt-get update?): {missing}")
    return vers


def deb_glob(cache, pkg, version=None):
    """The cache files of pkg (of one version if given), named as apt-get download names them."""
    v = "*" if version is None else glob.escape(version.replace(":", "%3a"))
    return sorted(glob.glob(os.path.join(cache, f"{glob.escape(pkg)}_{v}_*.deb")))


def fetch(pkgs, cache, update):
    """Returns {pkg: (deb path, version)}, downloading what the cache lacks."""
    os.makedirs(cache, exist_ok=True)
    if update:
        log("apt-get update")
        run(["apt-get", "update", "-qq"])
    vers = candidate_versions(pkgs)
    want, have = {}, {}
    for p in pkgs:
        v = vers[p]
        cur = deb_glob(cache, p, v)
        for f in deb_glob(cache, p):
            if f not in cur:
                os.remove(f)  # an older version
        if len(cur) == 1:
            have[p] = (cur[0], v)
        else:
            want[p] = v
    if want:
        log(f"apt-get download: {len(want)} packages")
        run(["apt-get", "download", "-q"] + [f"{p}={v}" for p, v in sorted(want.items())],
            cwd=cache, stdout=subprocess.DEVNULL)
        for p, v in want.items():
            fs = deb_glob(cache, p, v)
            if len(fs) != 1:
                raise SystemExit(f"debian-text: download of {p}={v} failed")
            have[p] = (fs[0], v)
    return have


def licences(root, pkg):
    """Short licence names from the package's DEP-5 copyright file."""
    for cand in (os.path.join(root, "usr/share/doc", pkg, "copyright"),
                 *glob.glob(os.path.join(root, "usr/share/doc/*/copyright"))):
        if os.path.isfile(cand) and not os.path.islink(cand):
            with open(cand, "rb") as f:
                txt = f.read().decode("utf-8", "replace")
            names = []
            for m in re.finditer(r"^License:[ \t]*(\S[^\n]*)$", txt, re.M):
                n = m.group(1).strip()
                if n not in names:
                    names.append(n)
            if names:
                more = len(names) - 6
                return ", ".join(names[:6]) + (f" (+{more} more)" if more > 0 else "")
            return "see the package's copyright file (not machine-readable)"
    return "see the source package's copyright file"


# --------------------------------------------------------------------------
# Eval filter sets

def norm(data):
    """Lowercase ASCII; every run of bytes that are not [a-z0-9] or non-ASCII
    becomes one space."""
    return re.sub(rb"[^a-z0-9\x80-\xff]+", b" ", data.lower())


class EvalFilter:
    def __init__(self, eval_dir):
        self.files = {}
        for name in sorted(os.listdir(eval_dir)):
            if name == "SHA256SUMS":
                continue
            with open(os.path.join(eval_dir, name), "rb") as f:
                self.files[name] = f.read()
        if len(self.files) < 18:
            raise SystemExit(f"debian-text: expected 18 eval files in {eval_dir}, "
                             f"found {len(self.files)}")
        self.normed = {n: norm(d) for n, d in self.files.items()}
        self.raw = set()
        self.nrm = set()
        self.words8 = set()
        for n, d in self.files.items():
            self.raw.update(hash(d[i:i + 64]) for i in range(len(d) - 63))
            nd = self.normed[n]
            self.nrm.update(hash(nd[i:i + 64]) for i in range(len(nd) - 63))
            w = re.findall(rb"[a-z0-9']+", d.lower())
            self.words8.update(hash(tuple(w[i:i + 8])) for i in range(len(w) - 7))
        log(f"eval filter: {len(self.files)} files, {len(self.raw)} raw windows, "
            f"{len(self.nrm)} normalised windows, {len(self.words8)} 8-word runs")

    def _where(self, win, normed):
        src = self.normed if normed else self.files
        return ",".join(n for n, d in src.items() if win in d) or "?"

    def hits(self, data):
        """Informative windows of data found in an eval file: [(kind, window, eval file)]."""
        out = []
        raw = self.raw
        for i in range(0, len(data) - 63, 32):
            w = data[i:i + 64]
            if hash(w) in raw and len(set(w)) >= 12 and len(re.findall(rb"[A-Za-z0-9]", w)) >= 20:
                out.append(("raw", w, self._where(w, False)))
        nd = norm(data)
        nrm = self.nrm
        for i in range(0, len(nd) - 63, 16):
            w = nd[i:i + 64]
            if hash(w) in nrm and len(set(w)) >= 12 and len(re.findall(rb"[a-z]", w)) >= 20:
                out.append(("norm", w, self._where(w, True)))
        return out

    def entry_bad(self, entry):
        """Why a fortune entry is refused, or None: (public reason, the matching text)."""
        m = EVAL_TITLE_RE.search(entry)
        if m:
            return "names an eval work or author", m.group(0).decode("utf-8", "replace")
        w = re.findall(rb"[a-z0-9']+", entry.lower())
        for i in range(len(w) - 7):
            run8 = b" ".join(w[i:i + 8])
            if hash(tuple(w[i:i + 8])) in self.words8:
                return "8-word run shared with an eval file", run8.decode("utf-8", "replace")
        return None


def bad_name(path):
    """Why a file's path is refused, or None."""
    parts = path.split("/")
    if any(p.lower() == "eval" for p in parts):
        return "eval-dir-name"
    base = parts[-1].lower()
    stem = base.split(".")[0]
    if base in EVAL_STEMS or stem in EVAL_STEMS or parts[-1] in EVAL_NAMES:
        return "eval-name"
    if EVAL_PATH_WORDS.search(path.encode("utf-8", "replace")):
        return "eval-name"
    return None


# --------------------------------------------------------------------------
# Text checks

def strip_info_markers(data):
    """Removes Texinfo's index-node markers (NUL BS "[index" NUL BS "]"), the
    only NUL bytes in an info file; info readers do not show them."""
    if b"\x00\x08" in data:
        data = data.replace(b"\x00\x08[", b"").replace(b"\x00\x08]", b"")
    return data


def text_problem(data):
    """Why data is not text by modalities.Detect's rules, or None."""
    if b"\x00" in data:
        return "binary"
    for n in DETECT_HEADS + (len(data),):
        head = data[:n]
        if len(head.translate(None, _NOT_CTRL)) * 100 > len(head):
            return "binary"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "not-utf8"
    long_bytes = sum(len(l) for l in data.split(b"\n") if len(l) > 1000)
    if long_bytes * 2 > len(data):
        return "long-lines"
    return None


def gunzip(raw, limit):
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = d.decompress(raw, limit + 1)
    return out  # a result over limit is refused by the caller


# --------------------------------------------------------------------------
# Candidate files of one package

def logical(path):
    for suf in (".gz", ".dz"):
        if path.endswith(suf):
            return path[: -len(suf)], True
    return path, False


def matches(path, pats):
    return any(fnmatch.fnmatchcase(path, p) for p in pats)


def candidates(spec, root):
    """Yields (logical path, loader) for the files spec selects, in name order.
    A loader returns the file's bytes (decompressed), at most max_file+1 of them."""
    limit = spec.max_file or DEFAULT_MAX_FILE
    if spec.nested:
        chain = (spec.nested,) if isinstance(spec.nested, str) else tuple(spec.nested)
        arch = open(os.path.join(root, chain[0]), "rb")
        for inner in chain[1:]:  # an archive inside the archive: read it into memory
            with tarfile.open(fileobj=arch, mode="r:*") as t:
                data = t.extractfile(inner).read()
            if data[:2] == b"\x1f\x8b":  # decompress once: members are read out of order
                data = gzip.decompress(data)
            arch = io.BytesIO(data)
        prefix = "/".join(chain) + "/"
        if zipfile.is_zipfile(arch):
            z = zipfile.ZipFile(arch)
            for info in sorted(z.infolist(), key=lambda i: i.filename):
                if info.is_dir() or not matches(info.filename, spec.inc) or matches(info.filename, spec.exc):
                    continue
                yield prefix + info.filename, (lambda i=info: z.open(i).read(limit + 1))
        else:
            arch.seek(0)
            t = tarfile.open(fileobj=arch, mode="r:*")
            for m in sorted(t.getmembers(), key=lambda m: m.name):
                if not m.isreg() or not matches(m.name, spec.inc) or matches(m.name, spec.exc):
                    continue
                yield prefix + m.name, (lambda m=m: t.extractfile(m).read(limit + 1))
        return
    paths = []
    for dp, dns, fns in os.walk(root):
        for fn in fns:
            full = os.path.join(dp, fn)
            if os.path.islink(full) or not os.path.isfile(full):
                continue
            paths.append(os.path.relpath(full, root))
    for rel in sorted(paths):
        lp, gz = logical(rel)
        if not matches(lp, spec.inc) or matches(lp, spec.exc) or matches(lp, SKIP_GLOBS):
            continue
        full = os.path.join(root, rel)

        def load(full=full, gz=gz):
            with open(full, "rb") as f:
                raw = f.read() if gz else f.read(limit + 1)
            return gunzip(raw, limit) if gz else raw
        yield lp, load


def ext_of(path):
    base = path.rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[-1].lower() if "." in base else ""


# --------------------------------------------------------------------------
# Train corpus hashes

def train_hashes(train_dir):
    hs = set()
    for shard in sorted(glob.glob(os.path.join(train_dir, "*.tar.zst"))):
        p = subprocess.Popen(["zstd", "-dcq", shard], stdout=subprocess.PIPE)
        with tarfile.open(fileobj=p.stdout, mode="r|") as t:
            for m in t:
                if m.isreg():
                    hs.add(hashlib.sha256(t.extractfile(m).read()).digest())
        if p.wait() != 0:
            raise SystemExit(f"debian-text: cannot read {shard}")
    log(f"train corpus: {len(hs)} distinct members hashed")
    return hs


# --------------------------------------------------------------------------
# Shards

def tar_bytes(members):
    """A deterministic tar (GNU format) of [(name, path of staged data)]."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, src in members:
            with open(src, "rb") as f:
                data = f.read()
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mtime = 0
            ti.mode = 0o644
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = ""
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def compress(members, dst):
    data = tar_bytes(members)
    run(["zstd", f"-{ZSTD_LEVEL}", "-T1", "-q", "-f", "-o", dst], input=data)
    return len(data), os.path.getsize(dst)


def pack(family, members, out_tmp):
    """Writes members of one family into shards of at most SHARD_LIMIT bytes.
    Returns [(shard name, [member names], raw bytes, compressed bytes)]."""
    groups, cur, size = [], [], 0
    for m in members:
        sz = os.path.getsize(m[1])
        if cur and size + sz > SHARD_BUDGET:
            groups.append(cur)
            cur, size = [], 0
        cur.append(m)
        size += sz
    if cur:
        groups.append(cur)
    done = []
    pending = list(groups)
    tmp_i = 0
    while pending:
        g = pending.pop(0)
        tmp = os.path.join(out_tmp, f"part-{family}-{tmp_i}.tar.zst")
        tmp_i += 1
        raw, comp = compress(g, tmp)
        if comp > SHARD_LIMIT and len(g) > 1:
            os.remove(tmp)
            h = len(g) // 2
            pending[0:0] = [g[:h], g[h:]]
            log(f"  {family}: {comp} bytes compressed is over the limit; splitting")
            continue
        if comp > SHARD_LIMIT:
            raise SystemExit(f"debian-text: member {g[0][0]} alone is over the shard limit")
        done.append((tmp, [m[0] for m in g], raw, comp))
        log(f"  {family} shard {len(done)}: {len(g)} members, {raw} raw, {comp} compressed")
    shards = []
    for i, (tmp, names, raw, comp) in enumerate(done, 1):
        name = f"debian-{family}-{i:02d}.tar.zst"
        os.rename(tmp, os.path.join(out_tmp, name))
        shards.append((name, names, raw, comp))
    return shards


# --------------------------------------------------------------------------

def order_key(spec, path):
    if spec.cap:
        return hashlib.sha1(path.encode()).hexdigest()
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(REPO, ".carry", "text-extra"))
    ap.add_argument("--cache", default=os.environ.get("DEBTEXT_CACHE", "/var/tmp/debian-text-cache"))
    ap.add_argument("--corpus", default=os.path.abspath(os.path.join(REPO, "..", "shared", "corpus")))
    ap.add_argument("--no-update", action="store_true", help="skip apt-get update")
    ap.add_argument("--only", nargs="*", help="process only these packages (for trying rules)")
    args = ap.parse_args()
    try:
        os.nice(10)
    except OSError:
        pass
    if shutil.which("zstd") is None:
        log("installing zstd")
        run(["apt-get", "install", "-y", "-q", "zstd"])

    specs = [s for s in PACKAGES if not args.only or s.pkg in args.only]
    eval_dir = os.path.join(args.corpus, "eval", "text")
    train_dir = os.path.join(args.corpus, "train", "text")
    out = os.path.abspath(args.out)
    if os.path.commonpath([out, os.path.abspath(eval_dir)]) == os.path.abspath(eval_dir) or \
            "eval" in [c.lower() for c in out.split(os.sep)]:
        raise SystemExit("debian-text: refusing to write under an eval folder")

    debs = fetch([s.pkg for s in specs], args.cache, not args.no_update)
    ev = EvalFilter(eval_dir)
    train = train_hashes(train_dir)

    stage = tempfile.mkdtemp(prefix="stage-", dir=args.cache)
    seen = set()
    # (pkg, path, reason, public detail, private detail). The public detail
    # never quotes text; the private one (FILTERED-detail.tsv in the cache,
    # outside the training folder) shows the shared window for review.
    dropped = []
    reasons = collections.Counter()
    reason_bytes = collections.Counter()
    accepted = collections.defaultdict(list)  # family -> [(member name, staged path)]
    per_pkg = {}
    n_staged = 0
    try:
        for spec in specs:
            deb, ver = debs[spec.pkg]
            root = tempfile.mkdtemp(prefix="x-", dir=args.cache)
            try:
                run(["dpkg-deb", "-x", deb, root])
                lic = licences(root, spec.pkg)
                limit = spec.max_file or DEFAULT_MAX_FILE
                cands = sorted(candidates(spec, root), key=lambda c: order_key(spec, c[0]))
                taken, total = [], 0
                for path, load in cands:
                    if spec.cap and total >= spec.cap:
                        reasons["cap"] += 1
                        continue
                    if ext_of(path) in SKIP_EXT:
                        reasons["extension"] += 1
                        continue
                    why = bad_name(path)
                    if why:
                        dropped.append((spec.pkg, path, why, "", ""))
                        reasons[why] += 1
                        continue
                    data = load()
                    if "/info/" in path:
                        data = strip_info_markers(data)
                    why, detail, private = None, "", ""
                    if len(data) < MIN_BYTES:
                        why = "small"
                    elif len(data) > limit:
                        why = "large"
                    else:
                        why = text_problem(data)
                    if why is None and spec.fortune:
                        entries = re.split(rb"(?m)^%\n", data)
                        keep = []
                        for j, e in enumerate(entries):
                            bad = ev.entry_bad(e)
                            if bad:
                                dropped.append((spec.pkg, path, "fortune-entry",
                                                f"entry {j + 1}: {bad[0]}", bad[1] + " | " +
                                                e[:200].decode("utf-8", "replace")))
                                reasons["fortune-entry"] += 1
                            else:
                                keep.append(e)
                        data = b"%\n".join(keep)
                    if why is None and spec.paragraphs and ev.hits(data):
                        paras = data.split(b"\n\n")
                        keep = []
                        for j, para in enumerate(paras):
                            hs = ev.hits(para)
                            if hs:
                                k, w, src = hs[0]
                                dropped.append((spec.pkg, path, "eval-paragraph",
                                                f"paragraph {j + 1}: {len(hs)} windows shared with {src}",
                                                f"({k}) " + w.decode("utf-8", "replace")))
                                reasons["eval-paragraph"] += 1
                            else:
                                keep.append(para)
                        data = b"\n\n".join(keep)
                    if why is None:
                        h = hashlib.sha256(data).digest()
                        if h in train:
                            why = "dup-train"
                        elif h in seen:
                            why = "dup-extra"
                        else:
                            hits = ev.hits(data)
                            if hits:
                                why = "eval-content"
                                srcs = sorted({src for _, _, src in hits})
                                detail = f"{len(hits)} windows shared with {','.join(srcs)}"
                                private = "; ".join(f"({k}) {w.decode('utf-8', 'replace')}"
                                                    for k, w, _ in hits[:5])
                    if why:
                        reasons[why] += 1
                        reason_bytes[why] += len(data)
                        if why not in ("small",):
                            dropped.append((spec.pkg, path, why, detail, private))
                        continue
                    seen.add(h)
                    n_staged += 1
                    sp = os.path.join(stage, f"{n_staged:07d}")
                    with open(sp, "wb") as f:
                        f.write(data)
                    taken.append((spec.pkg + "/" + path, sp, len(data)))
                    total += len(data)
                accepted[spec.family].extend((n, sp) for n, sp, _ in taken)
                per_pkg[spec.pkg] = (ver, spec.family, len(taken), total, lic)
                log(f"{spec.pkg} {ver}: {len(taken)} files, {total} bytes "
                    f"({len(cands)} candidates)")
            finally:
                shutil.rmtree(root, ignore_errors=True)

        # Pack into a fresh folder beside the output, then swap it in.
        os.makedirs(os.path.dirname(out), exist_ok=True)
        out_tmp = tempfile.mkdtemp(prefix=".text-extra-", dir=os.path.dirname(out))
        shards = []
        for fam in ("docs", "code", "misc"):
            if accepted[fam]:
                shards += pack(fam, sorted(accepted[fam]), out_tmp)
        write_reports(out_tmp, specs, per_pkg, shards, dropped, reasons, reason_bytes)
        write_filtered(os.path.join(args.cache, "FILTERED-detail.tsv"), dropped, private=True)
        os.chmod(out_tmp, 0o755)
        for fn in os.listdir(out_tmp):
            os.chmod(os.path.join(out_tmp, fn), 0o644)
        if os.path.isdir(out):
            shutil.rmtree(out)
        os.rename(out_tmp, out)
        log(f"wrote {out}")
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def write_filtered(dst, dropped, private):
    """FILTERED.tsv: one line per dropped file or entry. Only the private copy,
    kept in the cache, quotes the windows shared with eval files."""
    def clean(t):
        return t.replace("\t", " ").replace("\n", "\\n").replace("\r", "\\r")
    with open(dst, "w") as f:
        f.write("package\tpath\treason\tdetail" + ("\tshared text" if private else "") + "\n")
        for p, path, why, detail, priv in dropped:
            f.write(f"{p}\t{path}\t{why}\t{clean(detail)}" +
                    (f"\t{clean(priv)}" if private else "") + "\n")


def write_reports(out, specs, per_pkg, shards, dropped, reasons, reason_bytes):
    with open(os.path.join(out, "MANIFEST.tsv"), "w") as f:
        f.write("package\tversion\tmembers\tbytes\tfamily\n")
        for s in specs:
            v, fam, n, b, _ = per_pkg[s.pkg]
            f.write(f"{s.pkg}\t{v}\t{n}\t{b}\t{fam}\n")
    write_filtered(os.path.join(out, "FILTERED.tsv"), dropped, private=False)
    tot_files = sum(v[2] for v in per_pkg.values())
    tot_raw = sum(v[3] for v in per_pkg.values())
    tot_comp = sum(s[3] for s in shards)
    fam_raw = collections.Counter()
    fam_n = collections.Counter()
    for v in per_pkg.values():
        fam_raw[v[1]] += v[3]
        fam_n[v[1]] += v[2]
    L = []
    L.append("# Sources of text-extra: Debian 12 packages\n")
    L.append("Made by `scripts/debian-text/build.sh` in the mbzip repository "
             f"({time.strftime('%Y-%m-%d')}). Every package comes from Debian 12 "
             "(bookworm, bookworm-updates, bookworm-security), component **main**, "
             "fetched with `apt-get download` and unpacked with `dpkg-deb -x`. "
             "Everything in main meets the Debian Free Software Guidelines; each "
             "package's own licences are listed below (from its DEP-5 copyright file).\n")
    L.append("Members are named `PACKAGE/PATH`, PATH being the file's path inside the "
             "package without `.gz`/`.dz` (the file was decompressed). For a file "
             "taken from an archive inside a package, PATH is the archive's path, "
             "`/`, then the member's name. Tar members are regular files only, "
             "mode 0644, owner 0, mtime 0, GNU format, in name order; shards are "
             f"`zstd -{ZSTD_LEVEL}` and at most 15 MiB each.\n")
    L.append("## Totals\n")
    L.append("| family | files | raw bytes |\n| --- | ---: | ---: |")
    for fam in ("docs", "code", "misc"):
        L.append(f"| {fam} | {fam_n[fam]:,} | {fam_raw[fam]:,} |")
    L.append(f"| **total** | {tot_files:,} | {tot_raw:,} |\n")
    L.append(f"{len(per_pkg)} packages; {len(shards)} shards, {tot_comp:,} bytes compressed.\n")
    L.append("| shard | files | raw bytes | compressed bytes |\n| --- | ---: | ---: | ---: |")
    for name, names, raw, comp in shards:
        L.append(f"| {name} | {len(names):,} | {raw:,} (tar) | {comp:,} |")
    L.append("")
    L.append("## Packages\n")
    L.append("| package | version | family | files | raw bytes | licences | what |")
    L.append("| --- | --- | --- | ---: | ---: | --- | --- |")
    for s in specs:
        v, fam, n, b, lic = per_pkg[s.pkg]
        what = s.note or ", ".join(s.inc[:3]) + (" ..." if len(s.inc) > 3 else "")
        if s.cap and not s.note:
            what += f" (capped at {s.cap // MIB} MiB)"
        L.append(f"| {s.pkg} | {v} | {fam} | {n:,} | {b:,} | {lic.replace('|', '/')} | {what} |")
    L.append("")
    L.append("## What was filtered\n")
    L.append("Every dropped candidate except the ones under 200 bytes and the ones "
             "refused by extension or cap is listed in FILTERED.tsv with its reason.\n")
    L.append("| reason | files | bytes |\n| --- | ---: | ---: |")
    for why, n in sorted(reasons.items()):
        L.append(f"| {why} | {n:,} | {reason_bytes.get(why, 0):,} |")
    L.append("")
    L.append("""Reasons:
- `extension`: images, fonts, PDF/PostScript, compiled objects, JavaScript, CSS, JSON, data files.
- `cap`: the package's share was full (files are taken in a fixed pseudo-random order).
- `small` (< 200 bytes), `large` (over the per-file limit), `binary` (NUL or control bytes),
  `not-utf8`, `long-lines` (minified or generated).
- `dup-train`: SHA-256 equal to a member of `shared/corpus/train/text`; `dup-extra`: equal to a
  file already taken here.
- `eval-name`, `eval-dir-name`: the path names an evaluation file or work, or has a component
  named "eval".
- `eval-content`: shares a 64-byte window (raw, tested at stride 32) or a 64-character
  normalised window (tested at stride 16) with a Canterbury/Calgary eval file.
- `eval-paragraph`: one paragraph (blank-line separated) of a dictionary file removed because it
  shares a window with an eval file; the rest of the file is kept and checked again as a whole.
- `fortune-entry`: one fortune entry removed (8-word run shared with an eval file, or names an
  eval work); the rest of the file is kept.
""")
    L.append("## Contamination rule\n")
    L.append("The eval set (`shared/corpus/eval/text`: Canterbury and Calgary text files) was read "
             "only to build the filter sets above. No file whose name refers to an eval file or "
             "work, and no file sharing a 127-byte raw span or a ~95-character normalised span "
             "with an eval file, is in these shards.\n")
    with open(os.path.join(out, "SOURCES.md"), "w") as f:
        f.write("\n".join(L))


if __name__ == "__main__":
    main()

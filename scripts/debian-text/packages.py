"""What build.py takes from each Debian package.

Each entry names one binary package of Debian 12 (bookworm, main), the
family of shard it goes to, the files it contributes and, where a package
is much larger than the share it should have, a cap on its raw bytes.

Patterns are fnmatch patterns (``*`` also matches ``/``) on the path inside
the package without the leading ``./`` and without a final ``.gz`` or
``.dz`` (files are decompressed first), for example
``usr/share/info/coreutils.info``. A file is a candidate when it matches an
``inc`` pattern and no ``exc`` pattern. For packages that ship another
archive (``nested``), the patterns apply to that archive's member names.

Families (they only choose the shard a file lands in):

  docs  prose and markup: manuals, info pages, man pages (troff source),
        HTML and reStructuredText documentation, FAQs, guides.
  code  source code with its comments: Go, Rust, Java, Python, Perl, Ruby,
        Tcl, Lisp, Scheme, OCaml, LaTeX, C headers.
  misc  fortune cookies and an encyclopedic computing dictionary.

Why these packages: the existing train corpus (see
shared/corpus/SOURCES-text.md) already has the Python 3.11 stdlib and docs,
Go 1.26's src minus some folders, perl-doc's core pods, Debian reference,
policy and handbook, rendered man pages and C headers. This list adds
manuals and sources it lacks, and for Go takes exactly the folders the
train corpus left out (cmd, crypto, net, go, ...).
"""

MIB = 1 << 20


class P:
    """One package and what to take from it."""

    def __init__(self, pkg, family, inc, exc=(), cap=None, max_file=None,
                 nested=None, fortune=False, paragraphs=False, note=""):
        self.pkg = pkg
        self.family = family
        self.inc = tuple(inc)
        self.exc = tuple(exc)
        self.cap = cap  # raw bytes; files are taken in a fixed pseudo-random order
        self.max_file = max_file  # per-file raw byte limit (default in build.py)
        self.nested = nested  # path of an archive inside the package (zip or tar)
        self.fortune = fortune  # filter fortune entries one by one
        self.paragraphs = paragraphs  # drop paragraphs that share text with eval, not the file
        self.note = note  # what is taken, for SOURCES.md


INFO = ("usr/share/info/*",)
MAN = ("usr/share/man/man*",)  # English pages only (translations live in man/LL/)

PACKAGES = [
    # ---------------------------------------------------------------- docs
    P("linux-doc-6.1", "docs",
      ["usr/share/doc/linux-doc-6.1/html/_sources/*.txt",
       "usr/share/doc/linux-doc-6.1/Documentation/*"],
      ["*/translations/*", "*/devicetree/*", "*/Documentation/*.rst"],
      note="Linux 6.1 kernel documentation: the reStructuredText sources "
           "(Sphinx `_sources`) and the non-Sphinx files of Documentation/ "
           "(ABI, feature lists); no translations, no devicetree bindings"),
    P("vim-runtime", "docs",
      ["usr/share/vim/vim90/doc/*.txt", "usr/share/vim/vim90/tutor/tutor",
       "usr/share/vim/vim90/tutor/tutor.vim",
       "usr/share/vim/vim90/autoload/*.vim", "usr/share/vim/vim90/syntax/*.vim",
       "usr/share/vim/vim90/ftplugin/*.vim", "usr/share/vim/vim90/indent/*.vim",
       "usr/share/vim/vim90/plugin/*.vim", "usr/share/vim/vim90/compiler/*.vim",
       "usr/share/vim/vim90/macros/*", "usr/share/vim/vim90/pack/*"],
      note="Vim 9.0 help files (doc/*.txt), English tutor, Vim script runtime"),
    P("emacs-common", "docs",
      ["usr/share/emacs/28.2/etc/*"],
      ["*/charsets/*", "*/images/*", "*/e/*", "*/nxml/*", "*/schema/*",
       "*/gnus-tut.txt", "*/tutorials/TUTORIAL.*", "*/HELLO"],
      note="Emacs 28.2 etc/: NEWS files, PROBLEMS, FAQ-like texts, refcards "
           "(TeX), English tutorial; no charset maps or images"),
    P("gimp-help-en", "docs", ["usr/share/gimp/2.0/help/en/*.html"],
      note="GIMP 2.10 user manual, English HTML"),
    P("png-definitive-guide", "docs", ["usr/share/doc/png-definitive-guide/*.html"],
      note="Greg Roelofs, PNG: The Definitive Guide (HTML book)"),
    P("live-manual-html", "docs", ["*.en.html"],
      note="Debian Live Systems manual, English HTML"),
    P("stl-manual", "docs", ["usr/share/doc/stl-manual/html/*"],
      note="SGI STL documentation (HTML) and its headers"),
    P("gnome-user-docs", "docs", ["usr/share/help/C/*.page"],
      note="GNOME Help and admin guide, Mallard XML, untranslated (C) pages"),
    P("debian-kernel-handbook", "docs", ["usr/share/doc/debian-kernel-handbook/*"]),
    P("libreoffice-help-en-us", "docs", ["usr/share/libreoffice/help/en-US/text/*.html"],
      cap=12 * MIB, note="LibreOffice help, en-US HTML (capped)"),
    P("debian-faq", "docs", ["usr/share/doc/debian/FAQ/debian-faq.en.txt",
                             "usr/share/doc/debian/FAQ/*.txt"]),
    P("maint-guide", "docs", ["usr/share/doc/maint-guide/*.en.txt",
                              "usr/share/doc/maint-guide/*.en.html"]),
    P("harden-doc", "docs", ["usr/share/doc/harden-doc/html/en-US/*.html"],
      note="Securing Debian manual, English HTML"),
    P("abs-guide", "docs", ["usr/share/doc/abs-guide/html/*.html",
                            "usr/share/doc/abs-guide/examples/*"],
      note="Advanced Bash-Scripting Guide (HTML) and its example scripts"),
    P("debian-history", "docs", ["usr/share/doc/debian-history/docs/*.en.html",
                                 "usr/share/doc/debian-history/*.en.txt"]),
    P("doc-debian", "docs", ["usr/share/doc/debian/*"],
      note="Debian constitution, social contract, manifesto, bug docs"),
    P("git-doc", "docs", ["usr/share/doc/git-doc/*.txt", "usr/share/doc/git-doc/*/*.txt"],
      note="Git 2.39 manual pages and technical docs, AsciiDoc sources"),
    P("postgresql-doc-15", "docs", ["usr/share/doc/postgresql-doc-15/html/*.html"],
      note="PostgreSQL 15 manual (HTML)"),
    P("sqlite3-doc", "docs", ["usr/share/doc/sqlite3/*.html"],
      note="SQLite 3.40 documentation (HTML)"),
    P("python-django-doc", "docs", ["usr/share/doc/python-django-doc/html/*.html"],
      ["*/_modules/*", "*/_static/*", "*/genindex*", "*/py-modindex*", "*/search.html"],
      note="Django 3.2 documentation (HTML; highlighted-source pages left out)"),
    P("sphinx-doc", "docs", ["usr/share/doc/sphinx-doc/html/*.html"],
      ["*/_modules/*", "*/_static/*", "*/genindex*", "*/search.html"]),
    P("cmake-doc", "docs", ["usr/share/doc/cmake-data/html/_sources/*.txt"],
      note="CMake 3.25 documentation, reStructuredText sources"),
    P("apache2-doc", "docs", ["usr/share/doc/apache2-doc/manual/en/*.html"],
      ["*/quickreference.html", "*/index.html"],
      note="Apache HTTP Server 2.4 manual, English HTML"),
    P("postfix-doc", "docs", ["usr/share/doc/postfix/html/*.html"],
      note="Postfix 3.7 documentation, HTML (the READMEs are the same text in overstrike)"),
    P("bind9-doc", "docs", ["usr/share/doc/bind9-doc/arm/*.html"],
      ["*/_static/*", "*/genindex*", "*/search.html"],
      note="BIND 9.18 administrator reference manual (HTML)"),
    P("nodejs-doc", "docs", ["usr/share/doc/nodejs/api/*.md"],
      note="Node.js 18 API documentation, Markdown"),
    P("gnuplot-doc", "docs", ["usr/share/doc/gnuplot-doc/*", "usr/share/info/*",
                              "usr/share/doc/gnuplot/examples/*.dem"],
      ["*.dvi", "*.dat", "*/html/*"]),
    P("maxima-doc", "docs", INFO, note="Maxima 5.46 manual, info"),
    P("octave-doc", "docs", INFO, note="GNU Octave 7.3 manual, info"),
    P("perl-doc", "docs", ["usr/share/perl/5.36.0/pod/*.pod"],
      note="Perl 5.36 pods, all of them (the train corpus has 108; equal files are skipped)"),
    P("bash-doc", "docs", INFO + ("usr/share/doc/bash/*",),
      ["*.html", "*.pdf", "*.dvi", "*.ps"]),
    P("coreutils", "docs", INFO + MAN, note="GNU coreutils info manual and man pages"),
    P("findutils", "docs", INFO + MAN, note="GNU findutils info manual and man pages (no xargs page)"),
    P("grep", "docs", INFO + MAN),
    P("sed", "docs", INFO + MAN),
    P("tar", "docs", INFO + MAN),
    P("wget", "docs", INFO + MAN),
    P("gettext-doc", "docs", ["usr/share/doc/gettext/*.html"]),
    P("autoconf-doc", "docs", INFO),
    P("automake", "docs", INFO + MAN),
    P("libtool-doc", "docs", INFO),
    P("m4-doc", "docs", ["usr/share/doc/m4/*.html"]),
    P("flex-doc", "docs", ["usr/share/doc/flex-doc/*.html"]),
    P("guile-3.0-doc", "docs", INFO),
    P("zsh-doc", "docs", INFO),
    P("texinfo", "docs", INFO + MAN),
    P("r-doc-info", "docs", INFO, note="R 4.2 manuals, info"),
    P("binutils-doc", "docs", INFO),
    P("glibc-doc", "docs", MAN, note="glibc 2.36 pthread man pages (troff); the ChangeLogs are left out"),
    P("groff", "docs", INFO + MAN + ("usr/share/doc/groff-base/*", "usr/share/doc/groff/*"),
      ["*.ps", "*.pdf", "*.html", "*/img/*"]),
    P("mutt", "docs", ["usr/share/doc/mutt/manual.txt", "usr/share/doc/mutt/*.txt"] + list(MAN)),
    P("nasm", "docs", MAN + ("usr/share/doc/nasm/*",)),
    P("ghostscript-doc", "docs", ["usr/share/doc/ghostscript/*.htm*"]),
    P("tcl8.6-doc", "docs", MAN, note="Tcl 8.6 man pages (troff)"),
    P("tk8.6-doc", "docs", MAN, note="Tk 8.6 man pages (troff)"),
    P("freebsd-manpages", "docs", MAN, note="FreeBSD 12.2 man pages, sections 2, 3, 4, 9 (mdoc)"),
    P("xorg-docs", "docs", ["usr/share/doc/xorg-docs/*.txt"]),
    P("mailutils-doc", "docs", INFO),
    P("exim4-doc-info", "docs", INFO, note="Exim 4.96 specification, info"),
    P("openssl", "docs", MAN),
    P("openssh-client", "docs", MAN),
    P("systemd", "docs", MAN, note="systemd 252 man pages (troff)"),
    P("installation-guide-amd64", "docs", ["usr/share/doc/installation-guide-amd64/en/*.html"],
      note="Debian 12 installation guide, English HTML"),
    P("asymptote-doc", "docs", INFO + ("usr/share/doc/asymptote/examples/*.asy",)),
    P("units", "docs", INFO + ("usr/share/units/definitions.units",)),
    # ---------------------------------------------------------------- code
    P("golang-1.19-src", "code",
      ["usr/share/go-1.19/src/" + d + "/*.go" for d in
       ("cmd", "crypto", "net", "go", "time", "database", "log", "internal", "syscall")]
      + ["usr/share/go-1.19/src/" + d + "/*.s" for d in ("cmd", "crypto", "internal", "syscall")]
      + ["usr/share/go-1.19/test/*.go"],
      ["*/vendor/*", "*/testdata/*", "*/syscall/z*", "*/unix/z*", "*/windows/z*",
       "*/cmd/internal/obj/*/anames*.go"],
      max_file=1 * MIB,
      note="Go 1.19 sources: exactly the src/ folders the train corpus left out "
           "(cmd, crypto, net, go, time, database, log, internal, syscall) and test/; "
           "no vendor, testdata or generated z* tables"),
    P("rust-src", "code",
      ["usr/src/rustc-1.63.0/library/" + d + "/*.rs" for d in
       ("core", "alloc", "std", "proc_macro", "test")]
      + ["usr/src/rustc-1.63.0/src/doc/*.md", "usr/src/rustc-1.63.0/compiler/*.rs"],
      ["*/tests/*", "*/benches/*"],
      cap=48 * MIB, max_file=1 * MIB,
      note="Rust 1.63 standard library, compiler sources and the books under src/doc "
           "(Markdown; capped)"),
    P("openjdk-17-source", "code",
      ["java.base/java/*.java", "java.base/javax/*.java", "java.sql/*.java",
       "java.net.http/*.java", "java.logging/*.java", "java.desktop/javax/swing/*.java",
       "java.compiler/*.java", "jdk.compiler/*.java"],
      cap=30 * MIB, max_file=1 * MIB, nested="usr/lib/jvm/openjdk-17/lib/src.zip",
      note="OpenJDK 17 class library sources from src.zip (java.base java/javax, "
           "java.sql, java.net.http, Swing, javac; capped)"),
    P("perl-modules-5.36", "code", ["usr/share/perl/5.36.0/*"],
      note="Perl 5.36 core modules (.pm with POD)"),
    P("libruby3.1", "code", ["usr/lib/ruby/3.1.0/*.rb"],
      note="Ruby 3.1 standard library"),
    P("tcllib", "code", ["usr/share/tcltk/tcllib*.tcl", "usr/share/man/mann/*"],
      note="Tcllib 1.21 modules and their man pages"),
    P("python3-sympy", "code", ["usr/lib/python3/dist-packages/sympy/*.py"],
      cap=16 * MIB, max_file=1 * MIB, note="SymPy 1.11 (capped)"),
    P("python3-twisted", "code", ["usr/lib/python3/dist-packages/twisted/*.py"]),
    P("python3-numpy", "code", ["usr/lib/python3/dist-packages/numpy/*.py"]),
    P("python3-django", "code", ["usr/lib/python3/dist-packages/django/*.py",
                                 "usr/lib/python3/dist-packages/django/*.html",
                                 "usr/lib/python3/dist-packages/django/*.txt"]),
    P("python3-sqlalchemy", "code", ["usr/lib/python3/dist-packages/sqlalchemy/*.py"]),
    P("python3-pip", "code", ["usr/lib/python3/dist-packages/pip/*.py"]),
    P("python3-nltk", "code", ["usr/lib/python3/dist-packages/nltk/*.py",
                               "usr/lib/python3/dist-packages/nltk/*.doctest"]),
    P("guile-3.0-libs", "code", ["usr/share/guile/3.0/*.scm"],
      note="Guile 3.0 Scheme library sources"),
    P("sbcl-source", "code", ["usr/share/sbcl-source/*.lisp"],
      note="SBCL 2.2.9 Common Lisp sources"),
    P("ocaml-source", "code", ["*.ml", "*.mli"],
      nested=("usr/src/ocaml-source-4.13.1.tar", "ocaml-4.13.1/ocaml_4.13.1.orig.tar.gz"),
      max_file=1 * MIB, note="OCaml 4.13 compiler and stdlib sources (.ml/.mli)"),
    P("maxima-src", "code", ["usr/share/maxima/5.46.0/src/*"],
      note="Maxima 5.46 Common Lisp sources"),
    P("emacs-el", "code", ["usr/share/emacs/28.2/lisp/*.el"],
      ["*/leim/*", "*/language/*-util.el", "*/international/*"],
      cap=32 * MIB, max_file=1 * MIB, note="Emacs 28.2 Lisp sources (capped)"),
    P("linux-libc-dev", "code", ["usr/include/*.h"],
      note="Linux 6.1 UAPI headers (the train corpus has include/linux; equal files are skipped)"),
    P("texlive-latex-base", "code",
      ["usr/share/texlive/texmf-dist/tex/latex/*", "usr/share/texlive/texmf-dist/tex/generic/*"],
      ["*/babel/locale/*", "*.tfm", "*.vf", "*.ini"],
      note="LaTeX2e kernel and base classes (.ltx/.cls/.sty/.def/.fd)"),
    # ---------------------------------------------------------------- misc
    P("dict-foldoc", "misc", ["usr/share/dictd/foldoc.dict"],
      max_file=16 * MIB, paragraphs=True,
      note="FOLDOC, the Free On-line Dictionary of Computing (prose entries; .dz decompressed)"),
    P("fortunes-bofh-excuses", "misc", ["usr/share/games/fortunes/*"], fortune=True),
    P("fortune-anarchism", "misc", ["usr/share/games/fortunes/*"], fortune=True),
]

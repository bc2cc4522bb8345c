"""Package ecosystems under one name per registry, whatever the tool calls them.

Tools name the same registry by package manager (pip, poetry, yarn), purl type (golang, gem),
artifact type (java-archive, rust-crate) or lock-file type (gomod, bundler). Findings use
OSV's ecosystem names, lower-cased, so one vulnerable package reads the same from every tool.
"""

from __future__ import annotations

ALIASES: dict[str, str] = {
    # Python
    "pip": "pypi",
    "pipenv": "pypi",
    "poetry": "pypi",
    "uv": "pypi",
    "setuptools": "pypi",
    "python": "pypi",
    "python-pkg": "pypi",
    # JavaScript
    "yarn": "npm",
    "pnpm": "npm",
    "bun": "npm",
    "node-pkg": "npm",
    # JVM
    "gradle": "maven",
    "sbt": "maven",
    "jar": "maven",
    "pom": "maven",
    "java-archive": "maven",
    "jenkins-plugin": "maven",
    # Go
    "golang": "go",
    "gomod": "go",
    "gomodules": "go",
    "gobinary": "go",
    "go-module": "go",
    "golangdep": "go",
    "govendor": "go",
    # Rust
    "cargo": "crates.io",
    "rust-crate": "crates.io",
    "rust-binary": "crates.io",
    # Ruby
    "gem": "rubygems",
    "bundler": "rubygems",
    "gemspec": "rubygems",
    # PHP
    "composer": "packagist",
    "composer-vendor": "packagist",
    "php-composer": "packagist",
    # .NET
    "paket": "nuget",
    "dotnet": "nuget",
    "dotnet-core": "nuget",
    "packages-props": "nuget",
    # Others
    "mix": "hex",
    "swiftpm": "swift",
    "dart-pub": "pub",
    "pod": "cocoapods",
    "conda-pkg": "conda",
}


def normalize_ecosystem(name: str | None) -> str | None:
    """'poetry' -> 'pypi', 'golang' -> 'go', 'Debian:12' -> 'debian'; unknown names are kept,
    lower-cased."""
    if not name:
        return None
    key = name.split(":", 1)[0].strip().lower()
    return ALIASES.get(key, key) or None

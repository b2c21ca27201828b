#!/usr/bin/env python3
"""Builds image archives for the image tests, written from the OCI image
spec and docker's archive format: good ones, and each kind of bad one.

  mkimage.py archive OUT [--format oci|docker] [--name NAME] [--layer TAR]...
                         [--compress none|gzip|zstd] [--gzip-archive]
                         [--corrupt KIND] [--junk N] [--cmd JSON] [--nul WHERE]
  mkimage.py layer KIND OUT       a hostile or special layer tar

Corruptions: blob-digest (a blob's content does not match its name),
missing-blob, media-type, diff-id, config-digest, size, truncate, garbage.

--nul puts a NUL byte (JSON's \u0000) into one string: tag (the
docker-archive's RepoTags, or the OCI index's ref.name annotation), env (the
config's Env), label-key (a key of the config's Labels) or annotation (an
OCI index annotation Berth does not otherwise read).
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import time


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def add_bytes(tf, name, data, mode=0o644, typ=tarfile.REGTYPE, link=""):
    ti = tarfile.TarInfo(name)
    ti.size = len(data) if typ == tarfile.REGTYPE else 0
    ti.mode = mode
    ti.type = typ
    ti.linkname = link
    ti.mtime = 1700000000
    tf.addfile(ti, io.BytesIO(data) if typ == tarfile.REGTYPE else None)


def tar_bytes(build, fmt=tarfile.PAX_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        build(tf)
    return buf.getvalue()


def hostile_layer(kind):
    def build(tf):
        if kind == "dotdot":
            add_bytes(tf, "../escape", b"x")
        elif kind == "absolute":
            add_bytes(tf, "/abs-escape", b"x")
        elif kind == "symlink-write":
            add_bytes(tf, "link", b"", typ=tarfile.SYMTYPE, link="/")
            add_bytes(tf, "link/tmp/escape", b"x")
        elif kind == "symlink-dotdot":
            add_bytes(tf, "up", b"", typ=tarfile.SYMTYPE, link="..")
            add_bytes(tf, "up/escape", b"x")
        elif kind == "hardlink-out":
            add_bytes(tf, "hl", b"", typ=tarfile.LNKTYPE, link="../../../../etc/passwd")
        elif kind == "hardlink-abs":
            add_bytes(tf, "hl", b"", typ=tarfile.LNKTYPE, link="/etc/passwd")
        elif kind == "huge-header":
            ti = tarfile.TarInfo("big")
            ti.pax_headers = {"path": "a/" * (8 << 20)}
            tf.addfile(ti, io.BytesIO(b""))
        elif kind == "long-name":
            add_bytes(tf, "d/" * 2100 + "f", b"x")
        elif kind == "whiteouts":
            add_bytes(tf, "keep/", b"", typ=tarfile.DIRTYPE, mode=0o755)
            add_bytes(tf, "keep/.wh.gone", b"")
            add_bytes(tf, "opaque/", b"", typ=tarfile.DIRTYPE, mode=0o755)
            add_bytes(tf, "opaque/.wh..wh..opq", b"")
            add_bytes(tf, "opaque/new", b"new")
        else:
            sys.exit("unknown layer kind " + kind)

    return tar_bytes(build)


def compress(data, how):
    if how == "gzip":
        return gzip.compress(data, mtime=0)
    if how == "zstd":
        return subprocess.run(["zstd", "-q", "-c"], input=data, stdout=subprocess.PIPE,
                              check=True).stdout
    return data


def build_archive(a):
    layers = [open(p, "rb").read() for p in a.layer]
    blobs = {}
    diff_ids = [sha(l) for l in layers]
    if a.corrupt == "diff-id" and diff_ids:
        diff_ids[-1] = sha(b"not the layer")
    stored = [compress(l, a.compress) for l in layers]
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": "2024-01-02T03:04:05Z",
        "config": {"Cmd": json.loads(a.cmd), "Env": ["PATH=/bin"],
                   "Labels": {"test": "yes"}},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2024-01-02T03:04:05Z", "created_by": "mkimage layer %d" % i}
                    for i in range(len(layers))],
    }
    if a.nul == "env":
        config["config"]["Env"].append("A=b\0c")
    if a.nul == "label-key":
        config["config"]["Labels"]["evil\0key"] = "x"
    name = a.name
    if a.nul == "tag":
        name = "rt/bb\0evil:latest"
    cfg = json.dumps(config).encode()
    files = []  # (name, bytes)
    if a.format == "docker":
        cname = sha(cfg)[7:] + ".json"
        if a.corrupt == "config-digest":
            cname = sha(b"other")[7:] + ".json"
        files.append((cname, cfg))
        names = []
        for i, s in enumerate(stored):
            n = "%s/layer.tar" % sha(layers[i])[7:]
            names.append(n)
            if a.corrupt == "missing-blob" and i == len(stored) - 1:
                continue
            files.append((n, s))
        manifest = [{"Config": cname, "RepoTags": [name] if name else None, "Layers": names}]
        files.append(("manifest.json", json.dumps(manifest).encode()))
    else:
        mt = {"none": "application/vnd.oci.image.layer.v1.tar",
              "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
              "zstd": "application/vnd.oci.image.layer.v1.tar+zstd"}[a.compress]
        if a.corrupt == "media-type":
            mt = "application/x-unknown-layer"
        ldesc = [{"mediaType": mt, "digest": sha(s), "size": len(s)} for s in stored]
        if a.corrupt == "size" and ldesc:
            ldesc[-1]["size"] += 1
        for s in stored:
            blobs[sha(s)] = s
        blobs[sha(cfg)] = cfg
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                               "digest": sha(cfg), "size": len(cfg)},
                    "layers": ldesc}
        mb = json.dumps(manifest).encode()
        blobs[sha(mb)] = mb
        desc = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(mb),
                "size": len(mb)}
        if name:
            desc["annotations"] = {"org.opencontainers.image.ref.name": name}
        if a.nul == "annotation":
            desc.setdefault("annotations", {})["org.example.note"] = "a\0b"
        index = {"schemaVersion": 2, "manifests": [desc]}
        files.append(("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'))
        files.append(("index.json", json.dumps(index).encode()))
        for d, b in blobs.items():
            if a.corrupt == "missing-blob" and stored and d == sha(stored[-1]):
                continue
            if a.corrupt == "blob-digest" and stored and d == sha(stored[-1]):
                b = b + b"tampered"
            files.append(("blobs/sha256/" + d[7:], b))

    def build(tf):
        for n, b in files:
            add_bytes(tf, n, b)
        for i in range(a.junk):
            add_bytes(tf, "junk/%d" % i, b"j")

    data = tar_bytes(build)
    if a.corrupt == "truncate":
        data = data[: len(data) * 2 // 3]
    if a.corrupt == "garbage":
        data = os.urandom(4096)
    if a.gzip_archive:
        data = gzip.compress(data, mtime=0)
    with open(a.out, "wb") as f:
        f.write(data)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    ar = sub.add_parser("archive")
    ar.add_argument("out")
    ar.add_argument("--format", default="oci", choices=["oci", "docker"])
    ar.add_argument("--name")
    ar.add_argument("--layer", action="append", default=[])
    ar.add_argument("--compress", default="none", choices=["none", "gzip", "zstd"])
    ar.add_argument("--gzip-archive", action="store_true")
    ar.add_argument("--corrupt")
    ar.add_argument("--junk", type=int, default=0)
    ar.add_argument("--cmd", default='["/bin/sh"]')
    ar.add_argument("--nul", choices=["tag", "env", "label-key", "annotation"])
    ly = sub.add_parser("layer")
    ly.add_argument("kind")
    ly.add_argument("out")
    a = p.parse_args()
    if a.cmd == "layer":
        with open(a.out, "wb") as f:
            f.write(hostile_layer(a.kind))
    else:
        build_archive(a)


if __name__ == "__main__":
    main()

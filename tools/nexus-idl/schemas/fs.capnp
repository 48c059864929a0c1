# SPDX-License-Identifier: MIT
#
# vfsd, one namespace (DESIGN.md section 7): every subject sees
#   /data/...            its private tree (no other subject's tree can be named)
#   /tmp/...             its tmp tree, emptied when vfsd starts
#   /pkg/<bundle>/...    read-only, the files of installed bundles
# The subject is the connection's (fixed by samgrd), never a payload field; an operator
# acts in another subject's tree through Fs.actAs.
# Paths: absolute, at most fsPathMaxLen bytes, components of 1..fsNameMaxLen bytes separated
# by one '/', no "..", no NUL, at most 32 components; "." components and one trailing '/' are
# dropped. No symlink is ever followed (vfsd opens with openat2 RESOLVE_BENEATH |
# RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS).
# Quotas: bytes of files and number of entries per subject, /data and /tmp together;
# crossing one is limit_exceeded (type overloaded) and changes nothing.
# Errors are exceptions whose reason starts with a section 9 code; limits use type overloaded.
# Limits below match include/nexus/limits-vfs.h (VFS_*).
@0xd5ab53f8021e51ad;

using N = import "/nexus.capnp";
using T = import "nexus-types.capnp";
$N.prefix("fs");

const fsPathMaxLen :UInt32 = 1024;     # VFS_PATH_MAX
const fsNameMaxLen :UInt32 = 255;      # VFS_NAME_MAX
# Reads and writes of at most this many bytes travel inline; larger ones as a sealed VMO.
const fsInlineMax :UInt32 = 2048;      # VFS_INLINE_MAX
# Largest single read or write, and the largest VMO either side accepts.
const fsIoMax :UInt64 = 268435456;     # VFS_IO_MAX
# Entries one list() page holds at most.
const fsListPageMax :UInt32 = 256;     # VFS_LIST_PAGE_MAX

# open() flags, or-ed. At least one of read and write; create, exclusive and truncate need
# write; exclusive needs create. Other bits: invalid_argument.
const fsOpenRead :UInt32 = 1;
const fsOpenWrite :UInt32 = 2;
const fsOpenCreate :UInt32 = 4;        # a new empty file if there is none
const fsOpenExclusive :UInt32 = 8;     # with create: already_exists if there is one
const fsOpenTruncate :UInt32 = 16;

enum FsType {
  file @0;
  directory @1;
  other @2;                            # a symlink or special file planted in a tree: never
                                       # followed or opened
}

struct FsInfo {
  type @0 :FsType;
  size @1 :UInt64;
  mtimeNs @2 :UInt64;                  # realtime
}

struct FsEntry {
  name @0 :Text $N.maxLen(.fsNameMaxLen);
  type @1 :FsType;
  size @2 :UInt64;
  mtimeNs @3 :UInt64;
}

# An open file: the authority to read (and write, if opened so) that one file, checked when it
# was opened. It stays valid if the file is renamed or removed meanwhile.
interface File {
  # Up to `length` bytes from `offset`, fewer only at the end of the file. When what is read
  # is at most fsInlineMax bytes: in `data`, `vmo` null; larger (length up to fsIoMax): `data`
  # empty and `vmo` a sealed memfd whose first vmo.size bytes are the bytes read.
  # Errors: too_large (length over fsIoMax), denied (not opened for reading).
  read @0 (offset :UInt64, length :UInt64) -> (data :Data $N.maxLen(.fsInlineMax), vmo :T.VmoRef);

  # Writes `data`, or the first vmo.size bytes of `vmo` (a memfd of at most fsIoMax bytes:
  # sealed is mapped, unsealed copied), at `offset`, growing the file as needed.
  # Errors: invalid_argument (both or a bad vmo), too_large, denied (not opened for writing),
  # limit_exceeded (the subject's byte quota; nothing written).
  write @1 (offset :UInt64, data :Data $N.maxLen(.fsInlineMax), vmo :T.VmoRef) -> (written :UInt64);

  stat @2 () -> (info :FsInfo);

  # Errors: denied (not opened for writing), limit_exceeded (growing past the byte quota).
  truncate @3 (size :UInt64) -> ();

  # What was written is on the disk when this returns.
  sync @4 () -> ();
}

# The bootstrap object of every channel to vfsd: the namespace of the connection's subject.
# Capabilities: fs.read (open for reading, stat, list), fs.write (open for writing, mkdir,
# remove, rename), fs.admin (actAs). Common errors: invalid_argument (a path breaking the
# rules above: the reason names the rule), too_large (a path or component over its limit),
# not_found, denied, limit_exceeded (type overloaded: a quota, too many open files).
interface Fs {
  # Opens a file (not a directory: invalid_argument).
  # Needs fs.read, and fs.write when flags has write. /pkg and the roots are read-only.
  # Errors: already_exists (exclusive), not_found (no such file, not created).
  open @0 (path :Text $N.maxLen(.fsPathMaxLen), flags :UInt32) -> (file :File);

  # Needs fs.read.
  stat @1 (path :Text $N.maxLen(.fsPathMaxLen)) -> (info :FsInfo);

  # The entries of the directory `path` after `cursor` in byte order of their names: pass the
  # last name of the previous page ("" for the first). Up to `max` (0: fsListPageMax) entries
  # that fit one message; `more`: entries follow. Pages are stable under concurrent change:
  # no name twice, none skipped that was there throughout. /pkg lists the installed bundles
  # (bundlemgrd's pages); inside a bundle listing is unsupported.
  # Needs fs.read.
  list @2 (path :Text $N.maxLen(.fsPathMaxLen), cursor :Text $N.maxLen(.fsNameMaxLen),
      max :UInt32) -> (entries :List(FsEntry) $N.maxCount(.fsListPageMax), more :Bool);

  # Needs fs.write. Errors: already_exists, not_found (no parent).
  mkdir @3 (path :Text $N.maxLen(.fsPathMaxLen)) -> ();

  # A file or an empty directory. Needs fs.write. Errors: invalid_argument (not empty).
  remove @4 (path :Text $N.maxLen(.fsPathMaxLen)) -> ();

  # Atomically, within the subject's trees (/data and /tmp); replaces a file at `to`.
  # Needs fs.write. Errors: invalid_argument (a directory into itself, onto a non-empty one).
  rename @5 (from :Text $N.maxLen(.fsPathMaxLen), to :Text $N.maxLen(.fsPathMaxLen)) -> ();

  # The namespace of another subject, for an operator: every call on the Fs returned acts in
  # `subject`'s trees (and is counted against its quota) with no further check.
  # Needs fs.admin.
  actAs @6 (subject :Text $N.maxLen(T.subjectMaxLen) $N.nonEmpty) -> (fs :Fs);
}

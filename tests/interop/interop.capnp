# SPDX-License-Identifier: MIT
#
# The interop test interface: what a Nexus RPC peer must do to talk to the reference C++
# implementation (libcapnp 0.9.2). interop-cxx-server serves `Interop` as its bootstrap
# capability; interop-cxx-client runs one check per feature against whatever serves it.
#
# Kept small enough to implement by hand in C. Everything a peer must compute (the blob byte
# pattern, the hash) and the interface ids (written out below so they never move) are in
# interop-util.h, which is plain C.

@0xcf89be217cb8b79a;

enum Color {
  red @0;
  green @1;
  blue @2;
}

struct Leaf {
  id @0 :UInt32;
  label @1 :Text;
}

struct Inner {
  id @0 :UInt32;
  name @1 :Text;
  leaf @2 :Leaf;          # nested struct inside a struct inside AllTypes
  weight @3 :Float64 = 1.5;
}

# Every field type, every list element size (void, bit, byte, two, four, eight bytes,
# pointer, inline composite), a union, a group and non-zero defaults.
struct AllTypes {
  boolField @0 :Bool;
  int8Field @1 :Int8;
  int16Field @2 :Int16;
  int32Field @3 :Int32;
  int64Field @4 :Int64;
  uint8Field @5 :UInt8;
  uint16Field @6 :UInt16;
  uint32Field @7 :UInt32;
  uint64Field @8 :UInt64;
  float32Field @9 :Float32;
  float64Field @10 :Float64;
  textField @11 :Text;
  dataField @12 :Data;
  structField @13 :Inner;
  enumField @14 :Color;

  voidList @15 :List(Void);
  boolList @16 :List(Bool);
  int8List @17 :List(Int8);
  int16List @18 :List(Int16);
  int32List @19 :List(Int32);
  int64List @20 :List(Int64);
  uint8List @21 :List(UInt8);
  uint16List @22 :List(UInt16);
  uint32List @23 :List(UInt32);
  uint64List @24 :List(UInt64);
  float32List @25 :List(Float32);
  float64List @26 :List(Float64);
  textList @27 :List(Text);
  dataList @28 :List(Data);
  structList @29 :List(Inner);
  enumList @30 :List(Color);
  listList @31 :List(List(Int32));

  # Non-zero defaults: on the wire a field holds value XOR default, so a peer that forgets
  # the XOR reads these wrong. sampleValue sets some of them to zero on purpose.
  defaultBool @32 :Bool = true;
  defaultInt32 @33 :Int32 = -123456;
  defaultUInt64 @34 :UInt64 = 0xfedcba9876543210;
  defaultFloat32 @35 :Float32 = 2.5;
  defaultFloat64 @36 :Float64 = -7.25;
  defaultEnum @37 :Color = blue;
  defaultText @38 :Text = "default text";
  defaultData @39 :Data = 0x"de ad be ef";
  defaultStruct @40 :Leaf = (id = 99, label = "default leaf");
  defaultList @41 :List(Int16) = [1, -2, 3];

  choice :union {
    none @42 :Void;
    number @43 :Int64;
    word @44 :Text;
    inner @45 :Inner;
  }

  point :group {
    x @46 :Int32 = 7;
    y @47 :Int32 = -3;
    name @48 :Text;
  }
}

# The value `sample` returns and the client sends to `echo`. A C peer builds the same value
# by hand (every field listed here), so compare field by field against this constant.
const sampleValue :AllTypes = (
  boolField = true,
  int8Field = -123,
  int16Field = -12345,
  int32Field = -1234567890,
  int64Field = -1234567890123456789,
  uint8Field = 234,
  uint16Field = 45678,
  uint32Field = 3456789012,
  uint64Field = 12345678901234567890,
  float32Field = 1234.5,
  float64Field = -1.25e-10,
  textField = "text: UTF-8 é, no NUL",
  dataField = 0x"00 01 02 fe ff",
  structField = (id = 7, name = "inner", leaf = (id = 8, label = "leaf"), weight = 0),
  enumField = green,
  voidList = [void, void, void],
  boolList = [true, false, true, true, false, false, false, false, true],
  int8List = [-1, 2, -128, 127],
  int16List = [-1, 2, -32768, 32767],
  int32List = [-1, 2, -2147483648, 2147483647],
  int64List = [-1, 2, -9223372036854775808, 9223372036854775807],
  uint8List = [0, 1, 255],
  uint16List = [0, 1, 65535],
  uint32List = [0, 1, 4294967295],
  uint64List = [0, 1, 18446744073709551615],
  float32List = [0, -1.5, 3.25e10],
  float64List = [0, -1.5, 6.02214076e23],
  textList = ["one", "", "three"],
  dataList = [0x"01", "", 0x"02 03"],
  structList = [(id = 1, name = "a"), (id = 2, leaf = (id = 3, label = "b")), (weight = -2)],
  enumList = [blue, red, green],
  listList = [[1, 2], [], [3]],
  defaultBool = false,
  defaultInt32 = 0,
  defaultUInt64 = 1,
  defaultFloat32 = 0,
  defaultEnum = red,
  defaultText = "set",
  choice = (word = "union text"),
  point = (x = 0, y = 11, name = "pt"),
);

interface Callback @0xdf12ea29265da4d4 {
  call @0 (value :Int32) -> (result :Int32);
}

interface Counter @0xb8c7936e6fcc3af6 {
  increment @0 (by :Int64) -> (value :Int64);
}

# A capability carried inside a result struct, so a client can pipeline on box.counter.
struct Box {
  tag @0 :Text;
  counter @1 :Counter;
}

# A capability backed by an fd: a sealed memfd (F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_WRITE)
# attached to the message (CapDescriptor.attachedFd).
interface Blob @0xd5c77840b8a6152a {
  # What the holder of the object says it holds; the fd is the truth.
  info @0 () -> (size :UInt64, hash :UInt64);
}

interface Sink @0x8b55e388b0e36301 {
  write @0 (chunk :Data) -> stream;
  # Chunks, bytes and FNV-1a 64 over all bytes received, in order.
  done @1 () -> (chunks :UInt64, bytes :UInt64, hash :UInt64);
}

enum FailType {
  failed @0;
  overloaded @1;
  disconnected @2;
  unimplemented @3;
}

interface Interop @0x835c6db04c819f98 {
  # The null call (benchmarks).
  ping @0 ();

  echo @1 (value :AllTypes) -> (value :AllTypes);
  sample @2 () -> (value :AllTypes);

  # Throws an exception of `type` whose reason is exactly `reason`.
  fail @3 (reason :Text, type :FailType) -> ();

  # The server never implements this one: the answer is an `unimplemented` exception.
  notImplemented @4 () -> ();

  # Calls cb.call(value + i) for i in 0..times-1, one after another, and returns the results.
  callBack @5 (cb :Callback, value :Int32, times :UInt32) -> (results :List(Int32));

  newCounter @6 (start :Int64) -> (counter :Counter);
  makeBox @7 (tag :Text, start :Int64) -> (box :Box);

  # A sealed memfd of `size` bytes filled with interop_pattern(seed) (interop-util.h).
  makeBlob @8 (size :UInt64, seed :UInt32) -> (blob :Blob);
  # Reads the blob through its fd (never through calls) and reports what it read.
  # `head` is the first min(size, 64) bytes; `sealed` whether shrink/grow/write seals were set.
  consumeBlob @9 (blob :Blob) -> (size :UInt64, hash :UInt64, head :Data, sealed :Bool);

  openSink @10 () -> (sink :Sink);

  # Answers `tag` after `millis` ms without blocking other calls. Cancellable: a Finish
  # before the answer drops the call (counted in stats.cancelled).
  slow @11 (millis :UInt32, tag :UInt32) -> (tag :UInt32);

  # Objects the server still holds for this process and calls it saw cancelled.
  stats @12 () -> (liveCounters :UInt32, liveBlobs :UInt32, cancelled :UInt32);

  # The server process exits (status 42) on receipt, never answering.
  die @13 () -> ();
}

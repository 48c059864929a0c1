# Every data feature capnpc-c emits: each field type with and without defaults, unions,
# groups, nested types, lists of every kind, constants, and the nexus.capnp limits.
@0xe5c1a0a6f2d3b4c7;

using N = import "/nexus.capnp";

enum Color {
  red @0;
  green @1;
  darkBlue @2;
}

enum Level $N.closed {
  low @0;
  high @1;
}

struct Inner {
  id @0 :UInt32;
  label @1 :Text $N.maxLen(16);
}

struct Everything {
  voidField @0 :Void;
  boolField @1 :Bool;
  int8Field @2 :Int8;
  int16Field @3 :Int16;
  int32Field @4 :Int32;
  int64Field @5 :Int64;
  uint8Field @6 :UInt8;
  uint16Field @7 :UInt16;
  uint32Field @8 :UInt32;
  uint64Field @9 :UInt64;
  float32Field @10 :Float32;
  float64Field @11 :Float64;
  textField @12 :Text;
  dataField @13 :Data;
  structField @14 :Inner;
  enumField @15 :Color;
  anyField @16 :AnyPointer;

  voidList @17 :List(Void);
  boolList @18 :List(Bool);
  int8List @19 :List(Int8);
  int16List @20 :List(Int16);
  int32List @21 :List(Int32);
  int64List @22 :List(Int64);
  uint8List @23 :List(UInt8);
  uint16List @24 :List(UInt16);
  uint32List @25 :List(UInt32);
  uint64List @26 :List(UInt64);
  float32List @27 :List(Float32);
  float64List @28 :List(Float64);
  textList @29 :List(Text);
  dataList @30 :List(Data);
  structList @31 :List(Inner);
  enumList @32 :List(Color);
  nestedList @33 :List(List(Int32));
}

struct Defaults {
  boolField @0 :Bool = true;
  int8Field @1 :Int8 = -123;
  int16Field @2 :Int16 = -12345;
  int32Field @3 :Int32 = -12345678;
  int64Field @4 :Int64 = -123456789012345;
  uint8Field @5 :UInt8 = 234;
  uint16Field @6 :UInt16 = 45678;
  uint32Field @7 :UInt32 = 3456789012;
  uint64Field @8 :UInt64 = 12345678901234567890;
  float32Field @9 :Float32 = 1234.5;
  float64Field @10 :Float64 = -1.25e-10;
  textField @11 :Text = "foo\"bar\n";
  dataField @12 :Data = 0x"00 01 ff";
  structField @13 :Inner = (id = 7, label = "seven");
  enumField @14 :Color = darkBlue;
  int32List @15 :List(Int32) = [1, -2, 3];
  textList @16 :List(Text) = ["a", "bc"];
  structList @17 :List(Inner) = [(id = 1), (id = 2, label = "two")];
}

struct Shape {
  name @0 :Text;
  union {
    circle @1 :Float64;
    square :group {
      side @2 :Float64;
      label @3 :Text;
    }
    empty @4 :Void;
    points @5 :List(Point);
  }
  style :group {
    color @6 :Color;
    union {
      solid @7 :Void;
      dashed @8 :UInt8;
    }
  }

  struct Point {
    x @0 :Int32;
    y @1 :Int32;
  }
  enum Kind {
    flat @0;
    round @1;
  }
  const unit :Float64 = 1.0;
}

struct Limited {
  name @0 :Text $N.maxLen(8) $N.nonEmpty;
  blob @1 :Data $N.maxLen(4);
  tags @2 :List(Text) $N.maxCount(3) $N.maxLen(5);
  inners @3 :List(Inner) $N.maxCount(2);
  level @4 :Level;
  color @5 :Color $N.closed;
  colors @6 :List(Color);
  levels @7 :List(Level);
  matrix @8 :List(List(Text)) $N.maxLen(3);
}

const answer :Int32 = 42;
const minInt :Int64 = -9223372036854775808;
const greeting :Text = "hello";
const blob :Data = 0x"de ad be ef";
const pi :Float64 = 3.14159;
const ratio :Float32 = 0.5;
const flag :Bool = true;
const favorite :Color = green;
const bigU :UInt64 = 18446744073709551615;
const origin :Shape.Point = (x = 1, y = -1);
const primes :List(UInt16) = [2, 3, 5, 7];

# Recursive: validators recurse, bounded by the reader's nesting limit.
struct Tree {
  value @0 :Int32;
  children @1 :List(Tree) $N.maxCount(4);
}

# Test schema for the nx-capnp interop tests: every primitive, text, data, lists of every
# element size, unions, groups, non-zero defaults and nested structs.
@0xb3f5c2a1d4e6f708;

struct Inner {
  u32 @0 :UInt32;
  text @1 :Text;
}

struct AllTypes {
  b @0 :Bool;
  i8 @1 :Int8;
  i16 @2 :Int16;
  i32 @3 :Int32;
  i64 @4 :Int64;
  u8 @5 :UInt8;
  u16 @6 :UInt16;
  u32 @7 :UInt32;
  u64 @8 :UInt64;
  f32 @9 :Float32;
  f64 @10 :Float64;
  text @11 :Text;
  data @12 :Data;
  inner @13 :Inner;
  voids @14 :List(Void);
  bools @15 :List(Bool);
  bytes @16 :List(UInt8);
  shorts @17 :List(Int16);
  ints @18 :List(UInt32);
  longs @19 :List(Int64);
  texts @20 :List(Text);
  structs @21 :List(Inner);
  nested @22 :List(List(UInt16));
  defU32 @23 :UInt32 = 1234;
  defBool @24 :Bool = true;
  defF64 @25 :Float64 = 2.5;
  defI16 @26 :Int16 = -7;
  choice :union {
    none @27 :Void;
    num @28 :UInt16;
    name @29 :Text;
  }
  grp :group {
    x @30 :UInt32;
    y @31 :Text;
  }
  self @32 :AllTypes;
}

@0xd1f3a2b4c5d6e7fa;
# A group named `b` would define Foo_b, which is Foo's builder type.
struct Foo {
  b :group {
    x @0 :Int32;
  }
}

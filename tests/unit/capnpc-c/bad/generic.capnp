@0xfa1b2c3d4e5f6071;

struct Plain {
  x @0 :Int32;
}

struct Box(T) {
  value @0 :T;
}

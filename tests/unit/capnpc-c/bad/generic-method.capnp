@0xb3a4c5d6e7f80912;

interface Store {
  put @0 (key :Text) -> ();
  get @1 [T] (key :Text) -> (value :T);
}

# Interfaces: ids, params/results, a `-> stream` method, a superclass, explicit struct
# params from an imported file, and capabilities inside structs.
@0xc9d1e2f3a4b5c6d7;

using T = import "types.capnp";
using N = import "/nexus.capnp";

interface Base {
  ping @0 () -> ();
}

interface Calc extends(Base) {
  add @0 (a :Int32, b :Int32) -> (sum :Int32);
  describe @1 (shape :T.Shape, note :Text $N.maxLen(32)) -> (text :Text, color :T.Color);
  push @2 (chunk :Data $N.maxLen(1024)) -> stream;
  lookup @3 T.Inner -> T.Everything;
  sub @4 () -> (calc :Calc);
}

struct Holder {
  calc @0 :Calc;
  base @1 :Base;
  calcs @2 :List(Calc);
}

interface Empty {}

# Method names that are C or C++ keywords: vtable members get a trailing '_'.
interface Keywords {
  register @0 () -> ();
  delete @1 () -> ();
}

# Nexus schema annotations, read by capnpc-c (tools/nexus-idl/capnpc-c).
# Import with:  using import "/nexus.capnp".maxLen;   (capnp -I tools/nexus-idl/schemas)
# The file id is fixed: the generator recognises the annotations by their ids.
@0xb6c1d2e3f4a5968b;

# Largest Text or Data, in bytes (Text: without the NUL). On a List(Text) / List(Data)
# field it bounds every element. Enforced by the generated <Struct>_validate (-EMSGSIZE).
annotation maxLen @0xf39bd106e3fda09c (field, param) :UInt32;

# Most elements a List field may hold. Enforced by <Struct>_validate (-EMSGSIZE).
annotation maxCount @0x8fac60daa67ae27c (field, param) :UInt32;

# The Text, Data or List field must be present and hold at least one byte / element
# (-EBADMSG otherwise).
annotation nonEmpty @0xf12f6d2d858087ab (field, param) :Void;

# Unknown enumerants are legal Cap'n Proto (schemas evolve), so validators accept them by
# default. `$closed` on an enum, or on one enum field, makes <Struct>_validate reject values
# that the schema does not name (-EBADMSG).
annotation closed @0xaaeca944704a5f3c (enum, field, param) :Void;

# Nexus schema annotations, read by capnpc-c (tools/nexus-idl/capnpc-c).
# Import with:  using import "/nexus.capnp".maxLen;   (capnp -I tools/nexus-idl/schemas)
# The file id is fixed: the generator recognises the annotations by their ids.
@0xb6c1d2e3f4a5968b;

# The prefix of every C identifier capnpc-c generates for this file (`$N.prefix("log")`:
# LogRecord -> log_record, Log.append -> log_append, logQueryMax -> LOG_QUERY_MAX). Without
# it the prefix is the file's base name in snake_case (nexus-types.capnp -> nexus_types).
annotation prefix @0xc8d95a7e3b1f4a62 (file) :Text;

# Largest Text or Data, in bytes (Text: without the NUL). On a List(Text) / List(Data)
# field it bounds every element. The value may name a constant: `$N.maxLen(.fooMaxLen)`.
# Enforced by nx_capnp_validate through the generated descriptors (-EMSGSIZE).
annotation maxLen @0xf39bd106e3fda09c (field, param) :UInt32;

# Most elements a List field may hold (-EMSGSIZE).
annotation maxCount @0x8fac60daa67ae27c (field, param) :UInt32;

# The Text, Data or List field must be present and hold at least one byte / element
# (-EINVAL otherwise).
annotation nonEmpty @0xf12f6d2d858087ab (field, param) :Void;

# Unknown enumerants are legal Cap'n Proto (schemas evolve), so validators accept them by
# default. `$closed` on an enum, or on one enum field, makes validation reject values that
# the schema does not name (-EINVAL).
annotation closed @0xaaeca944704a5f3c (enum, field, param) :Void;

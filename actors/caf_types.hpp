// Registers the message types with CAF (local messaging only, so no serialisation) and declares
// the atoms. Included by the actor headers only: CAF stays out of the HTTP frontend. The types
// themselves are listed in actors/service_messages.hpp.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "actors/messages.hpp"
#include "actors/service_messages.hpp"
#include "domain/audit.hpp"
#include "domain/scan.hpp"

namespace vutf {
using status_atom = caf::atom_constant<caf::atom("status")>;  // report figures of an actor
using tick_atom = caf::atom_constant<caf::atom("tick")>;      // internal periodic housekeeping
using probe_atom = caf::atom_constant<caf::atom("probe")>;    // run the dependency probes now
using flush_atom = caf::atom_constant<caf::atom("flush")>;    // write out everything queued
using kick_atom = caf::atom_constant<caf::atom("kick")>;      // the scan queue may have work
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;  // stop a scan now
using retry_atom = caf::atom_constant<caf::atom("retry")>;    // send a prompt again
using purge_atom = caf::atom_constant<caf::atom("purge")>;    // delete what outlived retention
}  // namespace vutf

namespace caf {
// Every domain reply at once: many messages share a reply type, and CAF 0.17 rejects a second
// registration of the same type.
template <class T>
struct allowed_unsafe_message_type<vutf::result<T>> : std::true_type {};
}  // namespace caf

#define VUTF_ALLOW_REQUEST(message, reply, handle) CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::message)
VUTF_SERVICE_MESSAGES(VUTF_ALLOW_REQUEST)
#undef VUTF_ALLOW_REQUEST

#define VUTF_ALLOW_TYPE(type) CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vutf::type)
VUTF_INTERNAL_TYPES(VUTF_ALLOW_TYPE)
#undef VUTF_ALLOW_TYPE

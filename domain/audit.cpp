#include "domain/audit.hpp"

#include "config/utf8.hpp"

namespace vutf {

audit_record sanitised(audit_record r) {
  for (std::string* f :
       {&r.id, &r.actor_id, &r.actor_type, &r.action, &r.resource_type, &r.outcome})
    *f = valid_utf8(*f, audit_limits::name);
  r.request_id = valid_utf8(r.request_id, audit_limits::request_id);
  r.resource_id = valid_utf8(r.resource_id, audit_limits::resource_id);
  r.ip = valid_utf8(r.ip, audit_limits::ip);
  r.user_agent = valid_utf8(r.user_agent, audit_limits::user_agent);
  return r;
}

}  // namespace vutf

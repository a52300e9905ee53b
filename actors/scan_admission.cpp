#include "actors/scan_admission.hpp"

#include "config/time.hpp"
#include "domain/ids.hpp"
#include "domain/probes.hpp"
#include "storage/probe_set_store.hpp"
#include "storage/scan_store.hpp"
#include "storage/target_store.hpp"
#include "storage/webhook_store.hpp"

namespace vutf {
namespace {

// The probe sets a scan names, resolved: built-in ids first (they are reserved), then the
// caller's own sets. Unknown ids are field errors.
struct resolved_sets {
  std::vector<probe_ref> refs;
  std::vector<probe_set> user;  // the caller's sets the scan runs, to keep with it
  int64_t prompts = 0;          // distinct prompts in all the sets
};

resolved_sets resolve_sets(storage::session& s, const std::string& user,
                           const std::vector<std::string>& ids, std::vector<field_error>& errors) {
  resolved_sets out;
  for (const auto& id : ids) {
    if (const probe_set* shipped = find_probe_set(id)) {
      out.refs.push_back({id, "builtin", 1});
      out.prompts += static_cast<int64_t>(shipped->prompts.size());
    } else if (auto own = storage::find_probe_set(s, user, id)) {
      // Its judge was the owner's target when the set was saved; a scan of a set whose judge
      // has been deleted since could only record errors.
      if (own->detector.type == "judge" &&
          !storage::find_target(s, own->detector.judge_target_id, user))
        errors.push_back({"probes", "the judge target of probe set '" + id +
                                        "' no longer exists (PATCH its detector)"});
      if (own->mode == "crescendo" && !storage::find_target(s, own->attacker_target_id, user))
        errors.push_back({"probes", "the attacker target of probe set '" + id +
                                        "' no longer exists (PATCH its attacker_target_id)"});
      out.refs.push_back({id, "user", own->version});
      out.prompts += own->prompt_count;
      out.user.push_back(std::move(*own));
    } else {
      errors.push_back(
          {"probes", "unknown probe set '" + id.substr(0, 100) + "' (see GET /probes)"});
    }
  }
  return out;
}

// The checks of check_scan_request, keeping what they found for admit_scan.
struct checked {
  std::vector<field_error> errors;
  resolved_sets sets;
  std::optional<target> of;
};

checked check(storage::session& s, const scan_request& req, const std::string& user,
              const std::string& owner, const scan_limits& limits) {
  checked c;
  c.errors = validate(req, limits.max_prompts);
  c.sets = resolve_sets(s, user, req.probes, c.errors);
  c.of = is_uuid(req.target_id) ? storage::find_target(s, req.target_id, owner) : std::nullopt;
  if (!c.of && is_uuid(req.target_id)) c.errors.push_back({"target_id", "no such target"});
  // The judge reads every reply the scan flags: only the caller's own target qualifies.
  if (req.judge_target_id && is_uuid(*req.judge_target_id) &&
      !storage::find_target(s, *req.judge_target_id, user))
    c.errors.push_back({"judge_target_id", "must be the id of one of your targets"});
  // The webhook's secret signs the delivery: only the caller's own webhooks qualify.
  if (req.webhook_url && !storage::find_webhook_by_url(s, user, *req.webhook_url))
    c.errors.push_back({"webhook_url", "must be the url of one of your webhooks (POST /webhooks)"});
  return c;
}

}  // namespace

std::vector<field_error> check_scan_request(storage::session& s, const scan_request& req,
                                            const std::string& user, const std::string& owner,
                                            const scan_limits& limits) {
  return check(s, req, user, owner, limits).errors;
}

result<scan> admit_scan(storage::session& s, const scan_request& req, const std::string& user,
                        const std::string& owner, const scan_limits& limits,
                        const std::optional<std::string>& schedule_id) {
  checked c = check(s, req, user, owner, limits);
  if (!c.errors.empty())
    return result<scan>::fail(errc::validation_error, "The scan is invalid.", std::move(c.errors));
  storage::lock_owner(s, user);
  if (storage::count_active_scans(s, user) >= limits.max_active_scans)
    return result<scan>::fail(
        errc::quota_exceeded,
        "The quota MAX_ACTIVE_SCANS_PER_USER=" + std::to_string(limits.max_active_scans) +
            " is reached: wait for a scan to end or cancel one.");
  scan x;
  x.created_at_ms = now_ms();
  // Listed newest first and claimed oldest first, exactly even in one millisecond.
  x.id = make_time_ordered_uuid(x.created_at_ms);
  x.owner_id = user;
  x.target_id = c.of->id;
  x.probes = req.probes;
  x.probe_sets = c.sets.refs;
  x.converters = req.converters;
  x.judge_target_id = req.judge_target_id;
  x.fail_on = req.fail_on;
  x.schedule_id = schedule_id;
  x.concurrency = req.concurrency.value_or(c.of->max_concurrency);
  x.webhook_url = req.webhook_url;
  x.total = req.max_prompts.value_or(
      std::min<int64_t>(c.sets.prompts * variants_per_prompt(req.converters), limits.max_prompts));
  storage::insert_scan(s, x);
  for (auto& p : c.sets.user)
    if (static_cast<int64_t>(p.prompts.size()) > x.total)
      p.prompts.resize(static_cast<size_t>(x.total));
  storage::keep_scan_probe_sets(s, x.id, c.sets.user);
  return result<scan>{{}, x};
}

}  // namespace vutf

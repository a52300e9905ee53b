// The one compact encoding of cached values (not the public representation): a format byte,
// then fields in order. Decoding is bounds-checked: a corrupt or foreign entry is a miss, never a
// crash.
#pragma once

#include <optional>
#include <string>

#include "domain/audit.hpp"
#include "domain/frameworks.hpp"
#include "domain/identity.hpp"
#include "domain/scan.hpp"
#include "domain/target.hpp"

namespace vutf {

std::string encode(const target& t);
bool decode(const std::string& text, target& out);
std::string encode(const target_page& p);
bool decode(const std::string& text, target_page& out);
std::string encode(const stats_overview& s);
bool decode(const std::string& text, stats_overview& out);
std::string encode(const coverage_report& c);
bool decode(const std::string& text, coverage_report& out);
std::string encode(const audit_stats& s);
bool decode(const std::string& text, audit_stats& out);
// A credential's principal, or nullopt for one that cannot act (revoked, expired, inactive).
std::string encode(const std::optional<principal>& p);
bool decode(const std::string& text, std::optional<principal>& out);

}  // namespace vutf

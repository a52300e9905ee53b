// The one URL parser (RFC 3986), IP addresses and CIDRs, the outbound address policy and the
// egress proxy rules: pure, so every case is a line.
#include "config/url.hpp"

#include <gtest/gtest.h>

#include "config/address_policy.hpp"
#include "config/egress.hpp"
#include "tests/support/support.hpp"

namespace vutf {
namespace {

TEST(parse_url, splits_every_component) {
  auto u = parse_url("HTTPS://User:P%40ss@Example.COM:8443/v1/chat;x=1?q=a/b?c#frag/x");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "https");
  EXPECT_TRUE(u->has_authority);
  EXPECT_TRUE(u->has_userinfo);
  EXPECT_EQ(u->userinfo, "User:P%40ss");
  EXPECT_EQ(u->host, "example.com");
  EXPECT_EQ(u->host_kind, url::host_type::name);
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->path, "/v1/chat;x=1");
  EXPECT_EQ(*u->query, "q=a/b?c");
  EXPECT_EQ(*u->fragment, "frag/x");
  EXPECT_EQ(u->origin(), "https://example.com:8443");
  EXPECT_EQ(u->request_target(), "/v1/chat;x=1?q=a/b?c");
}

TEST(parse_url, defaults_and_empty_parts) {
  auto u = parse_url("http://h");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->port, -1);
  EXPECT_EQ(u->effective_port(), 80);
  EXPECT_EQ(u->request_target(), "/");
  EXPECT_FALSE(u->query);
  EXPECT_EQ(parse_url("http://h:/x")->port, -1);  // an empty port is allowed and means none
  EXPECT_EQ(parse_url("https://h:443/")->origin(), "https://h");
  EXPECT_EQ(parse_url("http://h?")->request_target(), "/?");
  EXPECT_EQ(parse_url("https://h")->effective_port(), 443);
  EXPECT_EQ(parse_url("ftp://h")->effective_port(), -1);
  auto mail = parse_url("mailto:a@b.c");  // no authority: a path
  ASSERT_TRUE(mail);
  EXPECT_FALSE(mail->has_authority);
  EXPECT_EQ(mail->path, "a@b.c");
}

TEST(parse_url, ports_above_65535_are_errors_not_crashes) {
  std::string why;
  EXPECT_FALSE(parse_url("http://127.0.0.1:99999999999/v1", &why));
  EXPECT_EQ(why, "the port must be at most 65535");
  EXPECT_FALSE(parse_url("http://h:65536"));
  EXPECT_EQ(parse_url("http://h:65535")->port, 65535);
  EXPECT_EQ(parse_url("http://h:0080")->port, 80);
  EXPECT_FALSE(parse_url("http://h:8a"));
  EXPECT_FALSE(parse_url("http://h:-1"));
  EXPECT_FALSE(parse_url("http://h:80:81"));
  EXPECT_FALSE(parse_url("http://h:" + std::string(100000, '9')));
}

TEST(parse_url, ip_literals) {
  auto v4 = parse_url("http://192.0.2.1:8080/");
  EXPECT_EQ(v4->host_kind, url::host_type::ipv4);
  auto v6 = parse_url("http://[2001:DB8::0:1]:8080/");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host_kind, url::host_type::ipv6);
  EXPECT_EQ(v6->host, "2001:db8::1");  // canonical
  EXPECT_EQ(v6->origin(), "http://[2001:db8::1]:8080");
  EXPECT_EQ(parse_url("http://[::ffff:127.0.0.1]/")->host, "::ffff:127.0.0.1");
  EXPECT_EQ(parse_url("http://[v7.a:b]/")->host_kind, url::host_type::future);
  for (const char* bad :
       {"http://[::1/", "http://[::1]x/", "http://[:::1]/", "http://[fe80::1%25eth0]/",
        "http://[1.2.3.4]/", "http://[12345::]/", "http://[]/", "http://[v.x]/"})
    EXPECT_FALSE(parse_url(bad)) << bad;
  // Not dotted-decimal by RFC 3986: names, which the service's rules then refuse.
  for (const char* name : {"http://0177.0.0.1/", "http://127.1/", "http://2130706433/",
                           "http://0x7f.1/", "http://1.2.3.256/", "http://1.2.3.4.5/"})
    EXPECT_EQ(parse_url(name)->host_kind, url::host_type::name) << name;
}

TEST(parse_url, refuses_characters_outside_the_grammar) {
  for (const char* bad : {"",
                          "h",
                          "1http://h",
                          "ht tp://h",
                          "http://h /",
                          "http://h/a b",
                          "http://h/\x7f",
                          "http://h/\r\nX: y",
                          "http://h/%",
                          "http://h/%zz",
                          "http://h/%4",
                          "http://h\\@evil/",
                          "http://a@b@c/",
                          "http://h/#a#b",
                          "http://h/<script>",
                          "http://h/\xc3\xa9",
                          "http://h/{x}",
                          "http://h/a|b",
                          "http://h/a^b",
                          "http://h/a`b",
                          "http://h/\"",
                          "http://[::1]:99999/"})
    EXPECT_FALSE(parse_url(bad)) << bad;
  std::string nul("http://h/\0x", 11);
  EXPECT_FALSE(parse_url(nul));
}

TEST(http_url_problem, the_services_rules_for_urls_it_calls) {
  for (const char* ok :
       {"http://example.com", "https://api.openai.com/v1", "http://192.0.2.10:8080/x?y=1",
        "https://[2001:db8::1]/", "http://my_host.internal./", "http://localhost:8000/"})
    EXPECT_EQ(http_url_problem(ok), "") << ok;
  struct bad_case {
    const char* text;
    const char* reason;
  };
  for (const auto& [text, reason] : std::initializer_list<bad_case>{
           {"ftp://h/", "must be an http:// or https:// URL"},
           {"http:/h", "must have a host"},
           {"http:///x", "must have a host"},
           {"http://u:p@h/", "must not carry credentials"},
           {"http://h:0/", "must have a port in 1..65535"},
           {"http://h:99999999999/", "must be a valid URL (the port must be at most 65535)"},
           {"http://2130706433/", "must write an IPv4 host as four decimal numbers"},
           {"http://0x7f.1/", "must write an IPv4 host as four decimal numbers"},
           {"http://0x7F000001/", "must write an IPv4 host as four decimal numbers"},
           {"http://127.1/", "must write an IPv4 host as four decimal numbers"},
           {"http://0177.0.0.1/", "must write an IPv4 host as four decimal numbers"},
           {"http://127.0.0.1./", "must write an IPv4 host as four decimal numbers"},
           {"http://h%2e/", "must have a host name of letters"},
           {"http://a$b/", "must have a host name of letters"},
           {"http://a..b/", "must have a host name of letters"},
           {"http://[v1.x]/", "must not use an IPvFuture literal"},
       })
    EXPECT_EQ(http_url_problem(text).rfind(reason, 0), 0u)
        << text << ": " << http_url_problem(text);
  EXPECT_EQ(http_url_problem("http://h/" + std::string(2048, 'a')),
            "must be at most 2048 characters");
}

TEST(percent_decode, escapes_and_malformed_ones) {
  EXPECT_EQ(*percent_decode("a%40b%3a"), "a@b:");
  EXPECT_FALSE(percent_decode("%4"));
  EXPECT_FALSE(percent_decode("%zz"));
}

ip_address ip(const char* text) {
  auto a = parse_ip(text);
  EXPECT_TRUE(a) << text;
  return a.value_or(ip_address{});
}

TEST(address_policy, embedded_ipv4_addresses) {
  EXPECT_FALSE(ip("::ffff:127.0.0.1").v6);  // config/cidr.hpp reads a mapped address as IPv4
  ip_address mapped;                        // as an IPv6 socket address may carry it
  mapped.v6 = true;
  mapped.bytes = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};
  EXPECT_EQ(embedded_v4(mapped)->text(), "127.0.0.1");
  EXPECT_EQ(embedded_v4(ip("::127.0.0.1"))->text(), "127.0.0.1");
  EXPECT_EQ(embedded_v4(ip("64:ff9b::a9fe:a9fe"))->text(), "169.254.169.254");
  EXPECT_EQ(embedded_v4(ip("2002:a00:1::"))->text(), "10.0.0.1");
  EXPECT_FALSE(embedded_v4(ip("2001:db8::1")));
  EXPECT_FALSE(embedded_v4(ip("10.0.0.1")));
  EXPECT_NE(address_policy{}.refusal(mapped), "");
}

TEST(address_policy, refuses_every_special_range_and_embedded_forms) {
  address_policy p;  // block_private, nothing allowed
  for (const char* refused : {"127.0.0.1",
                              "127.255.0.9",
                              "10.0.0.1",
                              "172.16.5.4",
                              "192.168.1.1",
                              "169.254.169.254",
                              "100.64.0.1",
                              "0.0.0.0",
                              "0.1.2.3",
                              "224.0.0.1",
                              "255.255.255.255",
                              "240.0.0.1",
                              "198.18.0.1",
                              "192.0.0.8",
                              "::",
                              "::1",
                              "fe80::1",
                              "fc00::1",
                              "fd12:3456::1",
                              "ff02::1",
                              "fec0::1",
                              "::ffff:127.0.0.1",
                              "::ffff:169.254.169.254",
                              "::ffff:10.0.0.1",
                              "::127.0.0.1",
                              "64:ff9b::7f00:1",
                              "64:ff9b:1::1",
                              "2002:7f00:1::",
                              "2002:c0a8:101::1",
                              "100::1"})
    EXPECT_NE(p.refusal(ip(refused)), "") << refused;
  for (const char* allowed :
       {"8.8.8.8", "1.1.1.1", "93.184.216.34", "172.32.0.1", "100.128.0.1", "2001:4860::8888",
        "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::"})
    EXPECT_EQ(p.refusal(ip(allowed)), "") << allowed;
  EXPECT_EQ(p.refusal(ip("169.254.169.254")),
            "the address 169.254.169.254 is link-local (cloud metadata lives here); "
            "OUTBOUND_BLOCK_PRIVATE refuses it unless OUTBOUND_ALLOW_CIDRS allows it");
}

TEST(address_policy, allow_list_and_switch) {
  address_policy p = make_address_policy(true, "127.0.0.0/8, fd00::/8");
  EXPECT_EQ(p.refusal(ip("127.0.0.1")), "");
  EXPECT_EQ(p.refusal(ip("::ffff:127.0.0.1")), "");  // the mapped form of an allowed address
  EXPECT_EQ(p.refusal(ip("fd00::5")), "");
  EXPECT_NE(p.refusal(ip("::1")), "");  // IPv6 loopback is another network
  EXPECT_NE(p.refusal(ip("10.0.0.1")), "");
  EXPECT_EQ(make_address_policy(false, "").refusal(ip("127.0.0.1")), "");
}

TEST(outbound_url_problem, literal_addresses_the_policy_refuses) {
  address_policy p;
  EXPECT_EQ(outbound_url_problem("https://api.example.com/v1", p), "");
  EXPECT_EQ(outbound_url_problem("http://localhost:8000/", p), "");  // a name: checked on connect
  for (const char* refused :
       {"http://127.0.0.1:8000/", "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]/", "http://[::1]:80/", "http://10.0.0.1/", "http://[fe80::1]/"})
    EXPECT_EQ(outbound_url_problem(refused, p).rfind("must not point at a refused address", 0), 0u)
        << refused;
  EXPECT_EQ(outbound_url_problem("http://127.0.0.1:8000/", make_address_policy(true, "127.0.0.1")),
            "");
  EXPECT_EQ(outbound_url_problem("http://2130706433/", make_address_policy(false, ""))
                .rfind("must write an IPv4 host", 0),
            0u);
}

TEST(egress, proxy_urls) {
  auto p = parse_proxy("http://us%40er:p%3Ass@proxy.internal:3128/");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->host, "proxy.internal");
  EXPECT_EQ(p->port, 3128);
  EXPECT_EQ(p->username, "us@er");
  EXPECT_EQ(p->password, "p:ss");
  EXPECT_EQ(p->shown, "http://proxy.internal:3128");
  EXPECT_EQ(parse_proxy("proxy:8080")->port, 8080);  // no scheme: http://
  EXPECT_EQ(parse_proxy("http://[::1]")->shown, "http://[::1]:80");
  std::string why;
  EXPECT_FALSE(parse_proxy("https://proxy:443", &why));
  EXPECT_EQ(why, "only http:// proxies are supported");
  for (const char* bad : {"", "http://", "http://p:99999", "http://p/path", "http://p/?q",
                          "socks5://p:1080", "http://p:0"})
    EXPECT_FALSE(parse_proxy(bad)) << bad;
}

TEST(egress, no_proxy_and_routing) {
  egress e;
  e.http_proxy = parse_proxy("http://hp:1");
  e.https_proxy = parse_proxy("http://hsp:2");
  e.bypass = *parse_no_proxy(" .internal.example, localhost:8080, 10.0.0.0/8, ::1, [fd00::1]");
  auto via = [&](const char* target) {
    const proxy_route* p = e.proxy_for(*parse_url(target));
    return p ? p->host : std::string("direct");
  };
  EXPECT_EQ(via("http://api.example.com/"), "hp");
  EXPECT_EQ(via("https://api.example.com/"), "hsp");
  EXPECT_EQ(via("https://internal.example/"), "direct");
  EXPECT_EQ(via("https://a.b.internal.example./"), "direct");
  EXPECT_EQ(via("https://xinternal.example/"), "hsp");  // a suffix on a label boundary only
  EXPECT_EQ(via("http://localhost:9/"), "direct");
  EXPECT_EQ(via("http://10.2.3.4/"), "direct");
  EXPECT_EQ(via("http://[::1]/"), "direct");
  EXPECT_EQ(via("http://[fd00::1]/"), "direct");
  EXPECT_EQ(via("http://11.0.0.1/"), "hp");
  e.proxy = parse_proxy("http://op:3");  // OUTBOUND_PROXY wins, NO_PROXY still applies
  EXPECT_EQ(via("https://api.example.com/"), "op");
  EXPECT_EQ(via("http://10.2.3.4/"), "direct");
  e.bypass = *parse_no_proxy("*");
  EXPECT_EQ(via("https://api.example.com/"), "direct");
  EXPECT_FALSE(parse_no_proxy("a b"));
  EXPECT_FALSE(parse_no_proxy("[::1"));
  EXPECT_TRUE(parse_no_proxy("")->names.empty());
}

TEST(egress, from_settings) {
  settings s = test::make_settings({{"OUTBOUND_PROXY", "http://u:pw@proxy:3128"},
                                    {"NO_PROXY", "internal"},
                                    {"OUTBOUND_BLOCK_PRIVATE", "true"},
                                    {"OUTBOUND_ALLOW_CIDRS", "10.1.0.0/16"}});
  egress e = egress_from(s);
  ASSERT_TRUE(e.proxy);
  EXPECT_EQ(e.proxy->password, "pw");
  EXPECT_EQ(e.bypass.names, std::vector<std::string>{"internal"});
  EXPECT_EQ(e.policy.refusal(*parse_ip("10.1.2.3")), "");
  EXPECT_NE(e.policy.refusal(*parse_ip("10.2.0.1")), "");
}

}  // namespace
}  // namespace vutf

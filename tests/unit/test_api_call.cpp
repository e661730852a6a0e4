// tests/harness/api_call: the boot tests' --http specs, and how a reply is judged.
#include <catch2/catch_test_macros.hpp>

#include "api_call.hpp"

using namespace rootstock::harness;

TEST_CASE("an --http spec: method, path, body, status and text", "[harness]") {
  auto c = parse_api_call(R"(PUT /vms/a/boot-source {"kernel_image_path": "/k"} -> 204)");
  REQUIRE(c);
  CHECK_FALSE(c->anonymous);
  CHECK(c->method == "PUT");
  CHECK(c->path == "/vms/a/boot-source");
  CHECK(c->body == R"({"kernel_image_path": "/k"})");
  CHECK(c->status == 204);
  CHECK(c->expect_text.empty());

  auto g = parse_api_call("anonymous GET /vms -> 401 needs the appliance's token");
  REQUIRE(g);
  CHECK(g->anonymous);
  CHECK(g->method == "GET");
  CHECK(g->body.empty());
  CHECK(g->status == 401);
  CHECK(g->expect_text == "needs the appliance's token");

  // A body holding " -> " itself: the last arrow is the one that counts.
  auto arrow = parse_api_call(R"(POST /vms/a/console echo a -> b -> 204)");
  REQUIRE(arrow);
  CHECK(arrow->body == "echo a -> b");

  auto upload = parse_api_call("PUT /images/k @/build/child/bzImage -> 201");
  REQUIRE(upload);
  CHECK(upload->body.empty());
  CHECK(upload->body_file == "/build/child/bzImage");
  CHECK_FALSE(parse_api_call("PUT /images/k @ -> 201"));

  CHECK_FALSE(parse_api_call("GET /vms"));
  CHECK_FALSE(parse_api_call("GET vms -> 200"));
  CHECK_FALSE(parse_api_call("GET /vms -> 2000"));
  CHECK_FALSE(parse_api_call("GET /vms -> ok"));
  CHECK_FALSE(parse_api_call(" -> 200"));
}

TEST_CASE("a reply is judged by its status and its text", "[harness]") {
  const ApiCall call = *parse_api_call("GET /vms/a/ -> 200 \"state\":\"Running\"");
  CHECK_FALSE(judge_api_reply(call, {200, R"({"id":"a","state":"Running"})"}));
  auto wrong_status = judge_api_reply(call, {404, R"({"fault_message":"no vm 'a'"})"});
  REQUIRE(wrong_status);
  CHECK(wrong_status->find("answered 404 (expected 200)") != std::string::npos);
  auto wrong_text = judge_api_reply(call, {200, R"({"state":"Paused"})"});
  REQUIRE(wrong_text);
  CHECK(wrong_text->find("lacks") != std::string::npos);
}

TEST_CASE("further --http specs: absent text, kept words, until, cut", "[harness]") {
  auto absent = parse_api_call("GET /vms -> 200 !churn");
  REQUIRE(absent);
  CHECK(absent->expect_absent);
  CHECK(absent->expect_text == "churn");
  CHECK_FALSE(judge_api_reply(*absent, {200, R"([{"id":"web"}])"}));
  CHECK(judge_api_reply(*absent, {200, R"([{"id":"churn1"}])"}));

  auto keep = parse_api_call(R"(until GET /metrics -> 200 frames{state="child"} =>FRAMES)");
  REQUIRE(keep);
  CHECK(keep->until);
  CHECK(keep->capture == "FRAMES");
  CHECK(keep->expect_text == R"(frames{state="child"} )");
  std::string word;
  CHECK_FALSE(judge_api_reply(*keep, {200, "x 1\nframes{state=\"child\"} 4096\ny 2\n"}, &word));
  CHECK(word == "4096");
  CHECK(judge_api_reply(*keep, {200, "frames{state=\"child\"} \n"}, &word));
  CHECK_FALSE(parse_api_call("until PUT /vms/a {} -> 204"));  // not safe to repeat

  auto cut = parse_api_call("cut PUT /images/half @/tmp/f -> none");
  REQUIRE(cut);
  CHECK(cut->cut);
  CHECK(cut->body_file == "/tmp/f");
  CHECK_FALSE(judge_api_reply(*cut, {}));
  CHECK_FALSE(parse_api_call("cut PUT /images/half @/tmp/f -> 201"));
  CHECK_FALSE(parse_api_call("cut PUT /images/half {} -> none"));

  auto lookup = [](const std::string& name) -> std::optional<std::string> {
    if (name == "FRAMES") return "4096";
    return std::nullopt;
  };
  CHECK(substitute_variables("child} {{FRAMES}}\n", lookup) == "child} 4096\n");
  CHECK(substitute_variables("{{NONE}}", lookup).error() == "NONE");
  CHECK(substitute_variables("no {{ end", lookup) == "no {{ end");
}

// appliance/image_store, sha256, image_paths and the API's /images: uploads kept only whole and
// with the digest asked for, nothing left by a cut one, names that cannot leave the folder,
// images in use neither replaced nor deleted, and VMs held to the image folders.
#include <catch2/catch_test_macros.hpp>

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "appliance/api_router.hpp"
#include "appliance/image_paths.hpp"
#include "appliance/image_store.hpp"
#include "appliance/sha256.hpp"
#include "temp_dir.hpp"
#include "test_appliance_fake_runner.hpp"

using namespace rootstock::appliance;
namespace fs = std::filesystem;
using rootstock::testing::TempDir;

namespace {

size_t entries(const std::string& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

std::string digest_of(std::string_view bytes) {
  Sha256 s;
  s.update(bytes);
  return hex(s.finish());
}

}  // namespace

TEST_CASE("sha256: FIPS 180-4's examples, in pieces", "[appliance][images]") {
  CHECK(digest_of("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(digest_of("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 pieces;
  pieces.update("a");
  pieces.update("bc");
  CHECK(hex(pieces.finish()) == digest_of("abc"));
  auto parsed = parse_sha256("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
  REQUIRE(parsed);
  CHECK(hex(*parsed) == digest_of("abc"));
  CHECK_FALSE(parse_sha256("ba78"));
  CHECK_FALSE(parse_sha256(std::string(64, 'g')));
}

TEST_CASE("image store: an upload is kept whole or not at all", "[appliance][images]") {
  TempDir dir("rootstock-images");
  auto store = ImageStore::open(dir.path());
  REQUIRE(store);
  {
    auto up = (*store)->begin("kernel-6.1", 6);
    REQUIRE(up);
    REQUIRE((*up)->write("abc"));
    REQUIRE((*up)->write("def"));
    auto image = (*up)->commit(parse_sha256(digest_of("abcdef")));
    REQUIRE(image);
    CHECK(image->size == 6);
    CHECK(image->path == dir.path() + "/kernel-6.1");
  }
  CHECK((*store)->list().size() == 1);
  {
    // A wrong digest: not kept, the old image stays, nothing else left.
    auto up = (*store)->begin("kernel-6.1", 3);
    REQUIRE(up);
    REQUIRE((*up)->write("xyz"));
    auto refused = (*up)->commit(parse_sha256(digest_of("abc")));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().find("SHA-256") != std::string::npos);
  }
  CHECK((*store)->find("kernel-6.1")->size == 6);
  {
    // Cut halfway: dropped without commit.
    auto up = (*store)->begin("disk.img", 100);
    REQUIRE(up);
    REQUIRE((*up)->write(std::string(50, 'x')));
  }
  CHECK_FALSE((*store)->find("disk.img"));
  CHECK(entries(dir.path()) == 1);
  // A power cut's leftovers are cleared when the store opens.
  std::ofstream(dir.path() + "/.upload-disk.img.AbCdEf") << "partial";
  REQUIRE(ImageStore::open(dir.path()));
  CHECK(entries(dir.path()) == 1);
  REQUIRE((*store)->remove("kernel-6.1"));
  CHECK(entries(dir.path()) == 0);
  CHECK_FALSE((*store)->remove("kernel-6.1"));
}

TEST_CASE("image store: names stay in the folder, sizes fit the disk", "[appliance][images]") {
  TempDir dir("rootstock-images");
  auto store = ImageStore::open(dir.path());
  REQUIRE(store);
  for (const char* bad : {"", "..", ".hidden", "a/b", "../x", "-x", "a b", "a\n"}) {
    INFO(bad);
    CHECK_FALSE(ImageStore::valid_name(bad));
    CHECK_FALSE((*store)->begin(bad, 1));
  }
  CHECK(ImageStore::valid_name("vmlinux-6.12.0_amd64.bin"));
  CHECK_FALSE(ImageStore::valid_name(std::string(129, 'a')));
  auto huge = (*store)->begin("huge", uint64_t{1} << 60);
  REQUIRE_FALSE(huge);
  CHECK(huge.error().find("free") != std::string::npos);
  // A link someone put there is no image.
  fs::create_symlink("/etc/hostname", dir.path() + "/link");
  CHECK_FALSE((*store)->find("link"));
  CHECK((*store)->list().empty());
}

TEST_CASE("image paths: a VM from the API uses images only", "[appliance][images]") {
  TempDir images("rootstock-images");
  TempDir elsewhere("rootstock-images-elsewhere");
  std::ofstream(images.path() + "/kernel") << "k";
  std::ofstream(elsewhere.path() + "/secret") << "s";
  fs::create_symlink(elsewhere.path() + "/secret", images.path() + "/link-out");
  VmSpec s;
  s.boot_source.kernel_image_path = images.path() + "/kernel";
  const std::vector<std::string> roots = {images.path()};
  CHECK_FALSE(spec_path_problem(s, roots));
  CHECK_FALSE(spec_path_problem(s, {}));
  s.boot_source.kernel_image_path = elsewhere.path() + "/secret";
  CHECK(spec_path_problem(s, roots)->find("is not an image") != std::string::npos);
  s.boot_source.kernel_image_path =
      images.path() + "/../" + fs::path(elsewhere.path()).filename().string() + "/secret";
  CHECK(spec_path_problem(s, roots));
  s.boot_source.kernel_image_path = images.path() + "/link-out";
  CHECK(spec_path_problem(s, roots));
  s.boot_source.kernel_image_path = images.path() + "/kernel";
  s.drives.push_back(Drive{"root", "/etc/hostname", true, false, {}, {}, {}});
  CHECK(spec_path_problem(s, roots)->find("drive root") != std::string::npos);
  s.drives[0].path_on_host = images.path() + "/missing";
  CHECK(spec_path_problem(s, roots)->find("does not exist") != std::string::npos);
  CHECK(spec_uses(s, images.path() + "/kernel"));
  CHECK_FALSE(spec_uses(s, elsewhere.path() + "/secret"));
}

TEST_CASE("api: images uploaded, listed, used and deleted", "[appliance][api][images]") {
  TempDir dir("rootstock-images");
  auto store = ImageStore::open(dir.path());
  REQUIRE(store);
  testing::FakeRunner runner;
  VmManager vms(runner);
  ApiRouterOptions o;
  o.images = store->get();
  o.image_roots = {dir.path()};
  const ApiRouter router(vms, o);
  auto call = [&router](std::string method, std::string path, std::string body = {},
                        std::string sha = {}) {
    ApiRequest r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.body = std::move(body);
    r.content_sha256 = std::move(sha);
    return router.handle(r);
  };
  CHECK(call("PUT", "/images/vmlinux", "kernel bytes", digest_of("kernel bytes")).status == 201);
  CHECK(call("PUT", "/images/bad", "x", digest_of("y")).status == 400);
  CHECK(call("PUT", "/images/bad", "x", "not-hex").status == 400);
  CHECK(call("PUT", "/images/..", "x").status == 400);
  auto list = call("GET", "/images");
  CHECK(list.body.find("\"name\":\"vmlinux\"") != std::string::npos);
  CHECK(list.body.find("\"size\":12") != std::string::npos);
  CHECK(list.body.find("bad") == std::string::npos);
  CHECK(call("GET", "/images/vmlinux").status == 200);
  CHECK(call("GET", "/images/none").status == 404);

  // A VM may boot the image, not a file elsewhere.
  const std::string kernel = dir.path() + "/vmlinux";
  CHECK(call("PUT", "/vms/a/boot-source", R"({"kernel_image_path": ")" + kernel + R"("})").status ==
        204);
  auto outside = call("PUT", "/vms/a/boot-source", R"({"kernel_image_path": "/etc/passwd"})");
  CHECK(outside.status == 400);
  CHECK(outside.body.find("is not an image") != std::string::npos);
  CHECK(vms.spec("a")->boot_source.kernel_image_path == kernel);
  CHECK(call("POST", "/vms", R"({"boot-source": {"kernel_image_path": "/etc/passwd"}})").status ==
        400);
  // In use: neither replaced nor deleted.
  CHECK(call("PUT", "/images/vmlinux", "other").status == 400);
  CHECK(call("DELETE", "/images/vmlinux").status == 400);
  CHECK(call("DELETE", "/vms/a").status == 204);
  CHECK(call("DELETE", "/images/vmlinux").status == 204);
  CHECK(call("GET", "/images").body == "[]");
}

TEST_CASE("api: an upload streams only with the token", "[appliance][api][images]") {
  TempDir dir("rootstock-images");
  auto store = ImageStore::open(dir.path());
  REQUIRE(store);
  testing::FakeRunner runner;
  VmManager vms(runner);
  ApiRouterOptions o;
  o.token = "upload-token-0123456789abcdefghijklmnopqrstuvwxyz";
  o.images = store->get();
  const ApiRouter router(vms, o);
  ApiRequest head;
  head.method = "PUT";
  head.path = "/images/disk";
  UploadStart denied = router.start_upload(head, 4);
  REQUIRE(denied.refused);
  CHECK(denied.refused->status == 401);
  head.authorization = "Bearer " + o.token;
  UploadStart ok = router.start_upload(head, 4);
  REQUIRE(ok.sink);
  CHECK_FALSE(ok.sink->write("da"));
  CHECK_FALSE(ok.sink->write("ta"));
  CHECK(ok.sink->finish().status == 201);
  CHECK((*store)->find("disk")->size == 4);
  // Other requests are not streamed.
  head.path = "/vms";
  UploadStart none = router.start_upload(head, 4);
  CHECK_FALSE(none.sink);
  CHECK_FALSE(none.refused);
}

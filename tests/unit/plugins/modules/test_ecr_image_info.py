"""payments.infra.ecr_image_info against moto in-process."""

import datetime
import json

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.payments.infra.plugins.module_utils import ecr as ecr_utils
from ansible_collections.payments.infra.plugins.modules import ecr_image_info

NAME = "payment-api"
REGION = "us-east-1"
ACCOUNT = "123456789012"
URI = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{NAME}"
# Pushed in this order, one hour apart: 1.2.0 oldest ... 1.2.3 and latest (one image) newest.
BASE = 1_700_000_000
READ_OPS = {"DescribeRepositories", "DescribeImages"}


def manifest(n):
    """A minimal Docker v2 manifest; distinct n, distinct layer digest, distinct image digest in moto."""
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 1000 + n,
                "digest": "sha256:" + f"{n:064x}",
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 10,
                    "digest": "sha256:" + f"{n + 100:064x}",
                }
            ],
        }
    )


def moto_images(name=NAME):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ecr.models import ecr_backends

    return ecr_backends[DEFAULT_ACCOUNT_ID][REGION].repositories[name].images


def push(ecr_client, n, *tags, pushed_at=None, name=NAME):
    """Push image n under each tag. moto stamps pushes to the second, so a push time is set directly."""
    for tag in tags:
        ecr_client.put_image(repositoryName=name, imageManifest=manifest(n), imageTag=tag)
    digest = ecr_client.describe_images(repositoryName=name, imageIds=[{"imageTag": tags[0]}])["imageDetails"][0][
        "imageDigest"
    ]
    if pushed_at is not None:
        for image in moto_images(name):
            if image.get_image_digest() == digest:
                image.image_pushed_at = pushed_at
    return digest


@pytest.fixture
def ecr(aws):
    return boto3.client("ecr", region_name=REGION)


@pytest.fixture
def repo(ecr):
    """payment-api with four images; pushed out of order so that ECR's order is not push order."""
    ecr.create_repository(repositoryName=NAME)
    digests = {}
    digests["1.2.1"] = push(ecr, 1, "1.2.1", pushed_at=BASE + 3600)
    digests["1.2.3"] = push(ecr, 3, "1.2.3", "latest", pushed_at=BASE + 3 * 3600)
    digests["1.2.0"] = push(ecr, 0, "1.2.0", pushed_at=BASE)
    digests["1.2.2"] = push(ecr, 2, "1.2.2", pushed_at=BASE + 2 * 3600)
    return digests


def iso(offset_hours):
    return datetime.datetime.fromtimestamp(BASE + offset_hours * 3600, tz=datetime.UTC).isoformat()


def ops(calls):
    return [name for name, _ in calls]


# ---------------------------------------------------------------------------------------------
# moto's (and AWS's) DescribeImages: one missing id fails the whole call
# ---------------------------------------------------------------------------------------------
def test_describe_images_with_one_missing_tag_fails_the_whole_call(ecr, repo):
    """Why the module looks tags up one per call."""
    with pytest.raises(ecr.exceptions.ImageNotFoundException) as caught:
        ecr.describe_images(repositoryName=NAME, imageIds=[{"imageTag": "1.2.3"}, {"imageTag": "9.9.9"}])
    assert "imageTag:'9.9.9'" in str(caught.value)


# ---------------------------------------------------------------------------------------------
# tags
# ---------------------------------------------------------------------------------------------
def test_found_tags(run_module, ecr, repo, api_calls):
    result = run_module(ecr_image_info, {"repository_name": NAME, "image_tags": ["1.2.3", "1.2.1"]})
    assert "failed" not in result, result
    assert result["changed"] is False
    assert result["exists"] is True and result["found"] is True
    assert result["missing_tags"] == []
    assert result["repository"] == {
        "repository_name": NAME,
        "repository_arn": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{NAME}",
        "repository_uri": URI,
        "registry_id": ACCOUNT,
    }
    first, second = result["images"]
    assert first["requested_tag"] == "1.2.3"
    assert sorted(first["tags"]) == ["1.2.3", "latest"]
    assert first["digest"] == repo["1.2.3"]
    assert first["image_uri"] == f"{URI}@{repo['1.2.3']}"
    assert first["pushed_at"] == iso(3)
    assert first["size_bytes"] == 1003
    assert first["scan_status"] is None and first["scan_finding_severity_counts"] == {}
    assert second["requested_tag"] == "1.2.1" and second["digest"] == repo["1.2.1"]
    assert second["pushed_at"] == iso(1)
    # One DescribeImages per tag, each for one image; reads only.
    described = [p for name, p in api_calls if name == "DescribeImages"]
    assert [p["imageIds"] for p in described] == [[{"imageTag": "1.2.3"}], [{"imageTag": "1.2.1"}]]
    assert set(ops(api_calls)) <= READ_OPS


def test_missing_tag_does_not_hide_the_others(run_module, ecr, repo):
    args = {"repository_name": NAME, "image_tags": ["1.2.4", "1.2.2", "nightly", "1.2.2"]}
    result = run_module(ecr_image_info, args)
    assert "failed" not in result, result
    assert result["found"] is False
    assert result["missing_tags"] == ["1.2.4", "nightly"]
    assert [i["requested_tag"] for i in result["images"]] == ["1.2.2"]  # duplicates looked up once
    assert result["images"][0]["digest"] == repo["1.2.2"]


def test_two_tags_of_one_image_give_two_entries(run_module, ecr, repo):
    result = run_module(ecr_image_info, {"repository_name": NAME, "image_tags": ["latest", "1.2.3"]})
    assert [i["requested_tag"] for i in result["images"]] == ["latest", "1.2.3"]
    assert {i["digest"] for i in result["images"]} == {repo["1.2.3"]}


def test_scan_status_is_reported(run_module, ecr, repo):
    image = next(i for i in moto_images() if i.get_image_digest() == repo["1.2.3"])
    completed = datetime.datetime(2025, 5, 1, 12, 31, 2, tzinfo=datetime.UTC)
    image.image_scan_status = {"status": "COMPLETE", "description": "The scan was completed successfully."}
    image.image_scan_findings_summary = {
        "imageScanCompletedAt": completed,
        "findingSeverityCounts": {"HIGH": 1, "MEDIUM": 4},
    }
    result = run_module(ecr_image_info, {"repository_name": NAME, "image_tags": ["1.2.3"]})
    found = result["images"][0]
    assert found["scan_status"] == "COMPLETE"
    assert found["scan_status_description"] == "The scan was completed successfully."
    assert found["scan_completed_at"] == "2025-05-01T12:31:02+00:00"
    assert found["scan_finding_severity_counts"] == {"HIGH": 1, "MEDIUM": 4}


# ---------------------------------------------------------------------------------------------
# fail_on_missing
# ---------------------------------------------------------------------------------------------
def test_fail_on_missing_names_the_tag_and_the_recent_tags(run_module, ecr, repo):
    args = {"repository_name": NAME, "image_tags": ["1.2.4"], "fail_on_missing": True, "max_recent": 3}
    result = run_module(ecr_image_info, args)
    assert result["failed"] is True
    assert result["msg"] == (
        "image tag 1.2.4 is not in ECR repository payment-api; the most recent tags are: 1.2.3, latest, 1.2.2; "
        f"push the image first (docker push {URI}:1.2.4)"
    )
    # The failed task still reports, for a rescue block.
    assert result["missing_tags"] == ["1.2.4"] and result["exists"] is True and result["found"] is False


def test_fail_on_missing_with_several_tags_lists_only_what_exists(run_module, ecr, repo):
    args = {"repository_name": NAME, "image_tags": ["1.2.0", "2.0.0", "2.0.1"], "fail_on_missing": True}
    result = run_module(ecr_image_info, args)
    assert result["failed"] is True
    msg = result["msg"]
    assert msg.startswith("image tags 2.0.0, 2.0.1 are not in ECR repository payment-api;")
    assert "the most recent tags are: 1.2.3, latest, 1.2.2, 1.2.1, 1.2.0;" in msg
    assert f"docker push {URI}:2.0.0; docker push {URI}:2.0.1" in msg
    assert [i["requested_tag"] for i in result["images"]] == ["1.2.0"]


def test_fail_on_missing_passes_when_everything_is_there(run_module, ecr, repo, api_calls):
    result = run_module(ecr_image_info, {"repository_name": NAME, "image_tags": ["1.2.3"], "fail_on_missing": True})
    assert "failed" not in result, result
    assert result["found"] is True
    # No listing of the repository when nothing is missing.
    assert [p.get("imageIds") for name, p in api_calls if name == "DescribeImages"] == [[{"imageTag": "1.2.3"}]]


def test_fail_on_missing_in_an_empty_repository(run_module, ecr):
    ecr.create_repository(repositoryName=NAME)
    result = run_module(ecr_image_info, {"repository_name": NAME, "image_tags": ["1.0.0"], "fail_on_missing": True})
    assert result["failed"] is True
    assert "it holds no tagged image" in result["msg"]


# ---------------------------------------------------------------------------------------------
# digest
# ---------------------------------------------------------------------------------------------
def test_digest_lookup(run_module, ecr, repo):
    result = run_module(ecr_image_info, {"repository_name": NAME, "image_digest": repo["1.2.2"]})
    assert result["found"] is True
    assert [i["tags"] for i in result["images"]] == [["1.2.2"]]
    assert result["images"][0]["requested_tag"] is None

    unknown = "sha256:" + "f" * 64
    missing = run_module(ecr_image_info, {"repository_name": NAME, "image_digest": unknown})
    assert "failed" not in missing and missing["found"] is False and missing["images"] == []
    failed = run_module(ecr_image_info, {"repository_name": NAME, "image_digest": unknown, "fail_on_missing": True})
    assert failed["failed"] is True
    assert f"image {unknown} is not in ECR repository payment-api" in failed["msg"]


def test_tags_and_digest_are_mutually_exclusive(run_module, aws, api_calls):
    args = {"repository_name": NAME, "image_tags": ["1.2.3"], "image_digest": "sha256:" + "a" * 64}
    result = run_module(ecr_image_info, args)
    assert result["failed"] is True and "mutually exclusive" in result["msg"]
    assert api_calls == []


# ---------------------------------------------------------------------------------------------
# missing repository
# ---------------------------------------------------------------------------------------------
def test_missing_repository_is_reported_not_failed(run_module, ecr):
    result = run_module(ecr_image_info, {"repository_name": "nope", "image_tags": ["1.2.3"]})
    assert "failed" not in result, result
    assert result["exists"] is False and result["found"] is False
    assert result["repository"] == {} and result["images"] == []
    assert result["missing_tags"] == ["1.2.3"]

    listing = run_module(ecr_image_info, {"repository_name": "nope"})
    assert listing["exists"] is False and listing["repository"] == {} and listing["missing_tags"] == []


def test_missing_repository_with_fail_on_missing(run_module, ecr):
    result = run_module(ecr_image_info, {"repository_name": "nope", "image_tags": ["1.2.3"], "fail_on_missing": True})
    assert result["failed"] is True
    assert result["msg"].startswith(
        f"ECR repository nope does not exist in this account's registry (region {REGION}), "
        "so image tag 1.2.3 cannot be in it;"
    )
    assert result["exists"] is False


def test_other_registry(run_module, ecr, repo, api_calls):
    result = run_module(ecr_image_info, {"repository_name": NAME, "registry_id": ACCOUNT, "image_tags": ["1.2.3"]})
    assert result["found"] is True
    assert all(p.get("registryId") == ACCOUNT for _, p in api_calls)
    other = run_module(ecr_image_info, {"repository_name": NAME, "registry_id": "210987654321"})
    assert other["exists"] is False


# ---------------------------------------------------------------------------------------------
# validation before any call
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"image_tags": ["1.2.3", "bad tag!"]}, "image tag 'bad tag!' is not a valid image tag"),
        ({"image_tags": [".hidden"]}, "not starting with '.' or '-'"),
        ({"image_tags": ["-rc1"]}, "image tag '-rc1'"),
        ({"image_tags": ["a" * 129]}, "1 to 128 characters"),
        ({"image_tags": [""]}, "image tag '' is not a valid image tag"),
        ({"image_tags": []}, "image_tags is an empty list"),
        ({"image_digest": "sha256:abc"}, "'sha256:' followed by 64 hexadecimal digits"),
        ({"repository_name": "Payment-API"}, "repository_name 'Payment-API' is not a valid ECR repository name"),
        ({"registry_id": "12345"}, "a 12-digit AWS account ID"),
        ({"max_recent": 0}, "max_recent must be at least 1"),
    ],
)
def test_invalid_options_fail_before_any_call(run_module, aws, api_calls, args, expected):
    result = run_module(ecr_image_info, {"repository_name": NAME, **args})
    assert result["failed"] is True
    assert expected in result["msg"], result["msg"]
    assert api_calls == []


def test_invalid_tag_message_names_the_tag_and_the_rule(run_module, aws, api_calls):
    result = run_module(ecr_image_info, {"repository_name": NAME, "image_tags": ["v1/2"], "fail_on_missing": True})
    assert result["msg"] == (
        "image tag 'v1/2' is not a valid image tag: a tag is 1 to 128 characters of A-Z, a-z, 0-9, '_', '.' "
        "and '-', not starting with '.' or '-'"
    )
    assert api_calls == []


def test_longest_valid_tag_is_accepted(run_module, ecr, repo):
    tag = "_" + "a.b-C9" * 21 + "x"  # 128 characters
    assert len(tag) == 128
    result = run_module(ecr_image_info, {"repository_name": NAME, "image_tags": [tag]})
    assert "failed" not in result and result["missing_tags"] == [tag]


# ---------------------------------------------------------------------------------------------
# listing the most recent images
# ---------------------------------------------------------------------------------------------
def untag(digest):
    """Make an image untagged, as a re-pushed mutable tag leaves the previous image on AWS (moto deletes it)."""
    image = next(i for i in moto_images() if i.get_image_digest() == digest)
    image.image_tags = []
    image.image_tag = None


def test_lists_the_most_recent_images(run_module, ecr, repo):
    untagged = push(ecr, 9, "scratch", pushed_at=BASE + 4 * 3600)
    untag(untagged)

    result = run_module(ecr_image_info, {"repository_name": NAME, "max_recent": 3})
    assert "failed" not in result, result
    assert result["found"] is True and result["missing_tags"] == []
    assert [i["digest"] for i in result["images"]] == [untagged, repo["1.2.3"], repo["1.2.2"]]
    assert [i["pushed_at"] for i in result["images"]] == [iso(4), iso(3), iso(2)]
    assert result["images"][0]["tags"] == []
    assert all(i["requested_tag"] is None for i in result["images"])

    everything = run_module(ecr_image_info, {"repository_name": NAME})  # default max_recent 10
    order = [untagged] + [repo[t] for t in ("1.2.3", "1.2.2", "1.2.1", "1.2.0")]
    assert [i["digest"] for i in everything["images"]] == order


def test_recent_tags_in_the_message_skip_untagged_images(run_module, ecr, repo):
    untag(push(ecr, 9, "scratch", pushed_at=BASE + 4 * 3600))
    args = {"repository_name": NAME, "image_tags": ["1.2.4"], "fail_on_missing": True, "max_recent": 2}
    result = run_module(ecr_image_info, args)
    assert "the most recent tags are: 1.2.3, latest;" in result["msg"]


def test_listing_an_empty_repository(run_module, ecr):
    ecr.create_repository(repositoryName=NAME)
    result = run_module(ecr_image_info, {"repository_name": NAME})
    assert result["exists"] is True and result["images"] == []


def test_describe_images_reads_every_page_and_drops_untagged_when_asked():
    """moto ignores maxResults, so pagination is checked with botocore's stubber."""
    client = boto3.client("ecr", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    pushed = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)

    def detail(n, tags):
        entry = {"imageDigest": "sha256:" + f"{n:064x}", "imagePushedAt": pushed + datetime.timedelta(hours=n)}
        if tags:
            entry["imageTags"] = tags
        return entry

    expected = {"repositoryName": NAME, "filter": {"tagStatus": "TAGGED"}}
    with Stubber(client) as stub:
        stub.add_response("describe_images", {"imageDetails": [detail(1, ["a"])], "nextToken": "t1"}, expected)
        stub.add_response(
            "describe_images",
            {"imageDetails": [detail(3, ["c"]), detail(2, [])]},
            {**expected, "nextToken": "t1"},
        )
        details = ecr_utils.describe_images(client, NAME, tagged_only=True)
        stub.assert_no_pending_responses()
    assert [d["imageTags"] for d in details] == [["a"], ["c"]]
    assert [d["imageTags"] for d in ecr_utils.most_recent(details)] == [["c"], ["a"]]
    assert ecr_utils.recent_tags(details, 1) == ["c"]


def test_most_recent_puts_untagged_and_undated_images_in_their_place():
    details = [
        {"imageDigest": "old", "imagePushedAt": datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)},
        {"imageDigest": "undated"},
        {"imageDigest": "new", "imagePushedAt": datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)},
    ]
    assert [d["imageDigest"] for d in ecr_utils.most_recent(details)] == ["new", "old", "undated"]
    assert [d["imageDigest"] for d in ecr_utils.most_recent(details, 1)] == ["new"]
    assert ecr_utils.recent_tags(details, 5) == []


# ---------------------------------------------------------------------------------------------
# check mode
# ---------------------------------------------------------------------------------------------
def test_check_mode_reads_the_same(run_module, ecr, repo, api_calls):
    args = {"repository_name": NAME, "image_tags": ["1.2.3", "1.2.4"]}
    normal = run_module(ecr_image_info, args)
    api_calls.clear()
    checked = run_module(ecr_image_info, args, check_mode=True)
    assert checked == normal
    assert checked["changed"] is False
    assert set(ops(api_calls)) <= READ_OPS

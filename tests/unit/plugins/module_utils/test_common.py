from ansible_collections.payments.infra.plugins.module_utils import common


def test_client_token_is_deterministic_and_bounded():
    a = common.client_token("payment-nat-dev-a", "subnet-1")
    assert a == common.client_token("payment-nat-dev-a", "subnet-1")
    assert a != common.client_token("payment-nat-dev-b", "subnet-1")
    assert len(a) <= 64


def test_desired_tags_none_leaves_tags_alone():
    final, to_set, to_unset = common.desired_tags({"a": "1"}, None, True)
    assert final == {"a": "1"} and to_set == {} and to_unset == []


def test_desired_tags_purge_and_keep():
    final, to_set, to_unset = common.desired_tags({"a": "1", "b": "2"}, {"a": "9"}, True)
    assert final == {"a": "9"} and to_set == {"a": "9"} and to_unset == ["b"]
    final, _, to_unset = common.desired_tags({"a": "1", "b": "2"}, {"a": "9"}, False)
    assert final == {"a": "9", "b": "2"} and to_unset == []

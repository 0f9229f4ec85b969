"""source_create and demo_data, run as an operator would."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from commerce.models import InboundDelivery, Source, SourceRecord
from commerce.tasks import api2cart_poll_all

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_source_create_prints_the_ingest_token_once_and_keeps_only_its_hash():
    output = run("source_create", "--kind", "ingest", "--slug", "saas-1")

    token = output.split("only its hash is kept): ")[1].strip()
    source = Source.objects.get(slug="saas-1")
    assert source.kind == "ingest" and source.check_api_token(token)
    assert token not in str(Source.objects.filter(pk=source.pk).values().get())


def test_source_create_makes_a_shopify_source_with_the_given_secret():
    output = run(
        "source_create", "--kind", "shopify", "--slug", "shop-1", "--secret", "s3"
    )

    assert Source.objects.get(slug="shop-1").webhook_secret == "s3"
    assert "/webhooks/shopify/shop-1/" in output


def test_source_create_refuses_an_api2cart_source_without_keys():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="api-key"):
        run("source_create", "--kind", "api2cart", "--slug", "woo")


def test_demo_data_delivers_signed_traffic_through_the_endpoint():
    output = run("demo_data", "--orders", "120", "--seed", "3", "--process")

    assert "HTTP 200 ×" in output and "HTTP 4" not in output
    source = Source.objects.get(slug="demo-shop")
    assert (
        InboundDelivery.objects.filter(source=source)
        .exclude(status="processed")
        .count()
        == 0
    )
    kinds = Counter(SourceRecord.objects.values_list("kind", flat=True))
    assert kinds["order"] >= 120 and kinds["customer"] > 5 and kinds["product"] > 5
    orders = [r.payload for r in SourceRecord.objects.filter(kind="order")]
    assert any(len(o["lines"]) > 1 for o in orders)
    assert any(o["discounts"] for o in orders)
    assert any(o["email"] is None for o in orders)  # deliberately broken ones
    assert any("crypto_pay_unmapped" in o["payment_gateways"] for o in orders)
    repeat = Counter(o["customer"]["id"] for o in orders if o["customer"])
    assert repeat.most_common(1)[0][1] > 3


def test_demo_data_twice_with_the_same_seed_stores_nothing_new():
    run("demo_data", "--orders", "30", "--seed", "5", "--process")
    before = SourceRecord.objects.count()

    run("demo_data", "--orders", "30", "--seed", "5", "--process")

    assert SourceRecord.objects.count() == before


def test_the_migrations_schedule_polling_and_the_lost_task_sweeper():
    funcs = set(Schedule.objects.values_list("func", flat=True))
    assert {
        "commerce.tasks.api2cart_poll_all",
        "commerce.tasks.deliveries_redispatch",
    } <= funcs


def test_the_poll_schedule_fans_out_one_task_per_active_api2cart_source():
    from tests.factories import make_api2cart_source

    make_api2cart_source()
    make_api2cart_source(active=False)
    assert api2cart_poll_all() == 1

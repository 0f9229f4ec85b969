"""API2Cart polling against the local stand-in (same request/response shapes)."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from commerce.models import InboundDelivery, SourceRecord
from commerce.sources.api2cart import Api2CartError, source_poll
from commerce.sources.api2cart_standin import Api2CartStandIn, a2c_time
from tests.factories import make_api2cart_source

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def a2c_order(number, *, status="Complete", total="23.00", email=None):
    return {
        "id": str(number),
        "order_id": f"R{number}",
        "customer": {
            "id": f"cust-{number % 3}",
            "email": email or f"buyer{number % 3}@example.com",
            "first_name": "Sam",
            "last_name": f"Buyer{number % 3}",
        },
        "currency": {"iso3": "USD", "name": "US Dollar"},
        "status": {"id": "c", "name": status},
        "totals": {
            "subtotal": 20.0,
            "shipping": 2.0,
            "tax": 1.0,
            "discount": 0.0,
            "total": float(total),
        },
        "order_products": [
            {
                "order_product_id": f"{number}-1",
                "product_id": "P1",
                "model": "SKU-1",
                "name": "Thing",
                "price": 10.0,
                "quantity": 2,
                "discount_amount": 0,
                "tax_value": 1.0,
                "tax_percent": 5,
            }
        ],
        "payment_method": {"name": "PayPal"},
        "shipping_method": {"name": "Flat rate"},
        "create_at": a2c_time(T0),
    }


@pytest.fixture
def store():
    return Api2CartStandIn(api_key="a2c-account-key", store_key="a2c-store-key")


@pytest.fixture
def source(settings):
    settings.COMMERCE_API2CART_PAGE_SIZE = 3
    settings.COMMERCE_API2CART_OVERLAP_SECONDS = 600
    return make_api2cart_source(
        slug="woo-store", settings={"api_url": "https://api2cart.test/v1.1/"}
    )


def poll(source, store):
    return source_poll(source_id=source.pk, transport=httpx.WSGITransport(app=store))


def after_first_order_page(store, action):
    """Run ``action(request_number)`` once, right after page 1 of order.list."""
    done = []

    def hook(number):
        path, query = store.requests[number - 1]
        if not done and path.endswith("order.list.json") and "page_cursor" not in query:
            done.append(number)
            action(number)

    store.on_request = hook


def orders_in_db():
    return SourceRecord.objects.filter(kind="order")


def test_it_normalizes_orders_customers_and_products(source, store):
    store.put("orders", a2c_order(1), modified=T0)
    store.put(
        "customers",
        {
            "id": "cust-1",
            "email": "sam@example.com",
            "first_name": "Sam",
            "last_name": "Buyer",
            "created_time": a2c_time(T0),
            "modified_time": a2c_time(T0),
        },
        modified=T0,
    )
    store.put(
        "products",
        {
            "id": "P1",
            "u_sku": "SKU-1",
            "name": "Thing",
            "price": 10,
            "cost_price": 4.5,
            "manage_stock": "True",
            "create_at": a2c_time(T0),
        },
        modified=T0,
    )

    assert poll(source, store) == {"customer": 1, "product": 1, "order": 1}

    order = orders_in_db().get().payload
    assert (order["number"], order["currency"], order["financial_status"]) == (
        "R1",
        "USD",
        "paid",
    )
    assert order["lines"][0]["tax_lines"] == [
        {"title": "Tax", "rate": "0.05", "amount": "1.00"}
    ]
    assert (order["subtotal_price"], order["total_price"]) == ("20.00", "23.00")
    product = SourceRecord.objects.get(kind="product").payload
    assert (product["sku"], product["cost"], product["track_inventory"]) == (
        "SKU-1",
        "4.50",
        True,
    )
    assert SourceRecord.objects.get(kind="customer").payload["email"] == (
        "sam@example.com"
    )


def test_the_checkpoint_is_the_newest_modified_at_seen_not_now(source, store):
    for n in range(1, 6):
        store.put("orders", a2c_order(n), modified=T0 + timedelta(minutes=n))

    poll(source, store)

    source.refresh_from_db()
    assert source.checkpoint["order"] == {
        "modified_at": (T0 + timedelta(minutes=5)).isoformat()
    }
    assert orders_in_db().count() == 5


def test_each_poll_rereads_the_overlap_window_and_stores_nothing_twice(source, store):
    for n in range(1, 6):
        store.put("orders", a2c_order(n), modified=T0 + timedelta(minutes=n))
    poll(source, store)
    store.requests.clear()

    assert poll(source, store)["order"] == 0

    order_calls = [q for path, q in store.requests if path.endswith("order.list.json")]
    assert order_calls[0]["modified_from"] == "2024-03-01 11:55:00"  # 12:05 - 10 min
    assert orders_in_db().count() == 5


def test_it_resumes_after_a_crash_without_missing_a_record_modified_meanwhile(
    source, store
):
    for n in range(1, 8):
        store.put("orders", a2c_order(n), modified=T0 + timedelta(minutes=n))
    poll(source, store)
    source.refresh_from_db()
    checkpoint = dict(source.checkpoint)

    # Poll 2: new orders arrive; while page 1 is being read, order 9 (already on
    # page 1) is edited, which shifts order 10 back onto page 1, unseen; then the
    # worker crashes on the next page.
    for n in range(8, 15):
        store.put("orders", a2c_order(n), modified=T0 + timedelta(minutes=n))

    def edit_then_crash(number):
        store.put(
            "orders",
            a2c_order(9, status="Refunded"),
            modified=T0 + timedelta(minutes=30),
        )
        store.fail_requests = {number + 2}  # page 2 is served, page 3 crashes

    after_first_order_page(store, edit_then_crash)
    with pytest.raises(Api2CartError):
        poll(source, store)
    source.refresh_from_db()
    assert source.checkpoint == checkpoint  # a crashed pass moves nothing

    # Poll 3 resumes from the old checkpoint and misses nothing.
    store.on_request, store.fail_requests = None, set()
    poll(source, store)

    assert sorted({int(r.external_id) for r in orders_in_db()}) == list(range(1, 15))
    latest_9 = orders_in_db().filter(external_id="9").order_by("-version").first()
    assert latest_9.payload["financial_status"] == "refunded"
    source.refresh_from_db()
    assert (
        source.checkpoint["order"]["modified_at"]
        == (T0 + timedelta(minutes=30)).isoformat()
    )


def test_a_pass_that_saw_fewer_items_than_counted_keeps_the_checkpoint(source, store):
    for n in range(1, 8):
        store.put("orders", a2c_order(n), modified=T0 + timedelta(minutes=n))

    def edit(number):  # order 2 moves to the end; order 4 slides onto page 1 unseen
        store.put("orders", a2c_order(2), modified=T0 + timedelta(minutes=20))

    after_first_order_page(store, edit)
    poll(source, store)
    store.on_request = None
    source.refresh_from_db()
    missed = {str(n) for n in range(1, 8)} - set(
        orders_in_db().values_list("external_id", flat=True)
    )
    assert missed == {"4"}
    assert "order" not in source.checkpoint

    poll(source, store)

    assert orders_in_db().values("external_id").distinct().count() == 7


def test_deleted_orders_become_tombstones(source, store):
    store.put("orders", a2c_order(1), modified=T0)
    poll(source, store)
    store.put("orders", a2c_order(1), modified=T0 + timedelta(minutes=1), deleted=True)

    poll(source, store)

    latest = orders_in_db().order_by("-version").first()
    assert latest.is_tombstone and latest.version == 2


def test_an_order_that_cannot_be_normalized_is_kept_as_a_failed_item(source, store):
    store.put("orders", a2c_order(1, total="99.00"), modified=T0)
    store.put("orders", a2c_order(2), modified=T0 + timedelta(minutes=1))

    poll(source, store)

    assert list(orders_in_db().values_list("external_id", flat=True)) == ["2"]
    failed = InboundDelivery.objects.get(topic="api2cart/order")
    assert failed.status == "failed" and "total_price" in failed.error
    source.refresh_from_db()
    assert (
        source.checkpoint["order"]["modified_at"]
        == (T0 + timedelta(minutes=1)).isoformat()
    )


def test_wrong_keys_are_an_error_and_never_appear_in_it(source, store):
    source.poll_api_key = "a2c-WRONG-key-canary"
    source.save()

    with pytest.raises(Api2CartError) as error:
        poll(source, store)

    assert "canary" not in str(error.value)
    assert "return_code 2" in str(error.value)

"""CSV import in the admin: preview, per-row errors, nothing stored for bad rows."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from commerce.models import SourceRecord
from tests.factories import make_source, make_user

pytestmark = pytest.mark.django_db

CUSTOMER_HEADER = (
    "customer_id,email,first_name,last_name,currency,tax_exempt,country_code,updated_at"
)
ORDER_HEADER = ",".join(
    [
        "order_id,order_number,created_at,currency,financial_status,customer_id",
        "email,payment_gateway,sku,title,quantity,unit_price,line_discount",
        "line_tax,tax_rate,shipping_price,total_price",
    ]
)
CUSTOMERS = f"""{CUSTOMER_HEADER}
C-1,ada@example.com,Ada,Okafor,USD,false,US,2024-06-01T10:00:00Z
C-2,bob@example.com,Bob,Stone,XXX,false,US,2024-06-01T10:00:00Z
C-3,cy@example.com,Cy,Lee,EUR,yes,DE,not-a-date
C-4,,Dee,Ray,,no,GB,2024-06-01T11:00:00Z
"""

ORDERS = f"""{ORDER_HEADER}
1001,#1001,2024-06-01T10:00:00Z,USD,paid,C-1,ada@example.com,stripe,TEE-M,Tee,2,20.00,0,3.20,0.08,5.00,58.20
1001,#1001,2024-06-01T10:00:00Z,USD,paid,C-1,ada@example.com,stripe,MUG,Mug,1,10.00,0,0,,5.00,58.20
1002,#1002,2024-06-01T11:00:00Z,USD,paid,C-2,bob@example.com,stripe,TEE-M,Tee,-1,20.00,0,0,,0,-20.00
1003,#1003,2024-06-01T12:00:00Z,USD,paid,C-2,bob@example.com,stripe,MUG,Mug,1,10.00,0,0,,0,12.00
1004,#1004,2024-06-01T13:00:00Z,USD,paid,,,stripe,MUG,Mug,3,10.00,0,0,,0,30.00
"""


@pytest.fixture
def admin_client(client):
    client.force_login(make_user(superuser=True))
    return client


def upload(client, source, kind, text):
    return client.post(
        f"/admin/commerce/source/{source.pk}/import-csv/",
        {"kind": kind, "file": SimpleUploadedFile("f.csv", text.encode(), "text/csv")},
    )


def confirm(client, source, preview):
    form = preview.context["confirm_form"]
    return client.post(
        f"/admin/commerce/source/{source.pk}/import-csv/",
        {
            "kind": form.initial["kind"],
            "content": form.initial["content"],
            "confirm": "1",
        },
    )


def test_the_preview_shows_rows_and_errors_and_stores_nothing(admin_client):
    source = make_source(kind="csv")

    preview = upload(admin_client, source, "customer", CUSTOMERS)

    assert preview.status_code == 200
    html = preview.content.decode()
    assert "ada@example.com" in html  # the first rows
    assert "Rows 3" in html and "XXX" in html
    assert "Rows 4" in html and "updated_at" in html
    assert "Import 2 valid records" in html
    assert not SourceRecord.objects.exists()


def test_confirming_stores_only_the_valid_customers(admin_client):
    source = make_source(kind="csv")
    preview = upload(admin_client, source, "customer", CUSTOMERS)

    response = confirm(admin_client, source, preview)

    assert response.status_code == 302
    stored = set(SourceRecord.objects.values_list("external_id", flat=True))
    assert stored == {"C-1", "C-4"}
    assert SourceRecord.objects.get(external_id="C-4").payload["email"] is None


def test_orders_span_rows_and_a_bad_order_stores_none_of_its_rows(admin_client):
    source = make_source(kind="csv")
    preview = upload(admin_client, source, "order", ORDERS)
    html = preview.content.decode()
    assert "Rows 4" in html and "quantity" in html  # negative quantity
    assert "Rows 5" in html and "total_price" in html  # 10.00 does not make 12.00

    confirm(admin_client, source, preview)

    orders = {r.external_id: r.payload for r in SourceRecord.objects.all()}
    assert set(orders) == {"1001", "1004"}
    assert [ln["sku"] for ln in orders["1001"]["lines"]] == ["TEE-M", "MUG"]
    assert orders["1001"]["total_price"] == "58.20"
    assert orders["1004"]["customer"] is None


def test_a_file_without_the_required_columns_is_refused(admin_client):
    source = make_source(kind="csv")
    response = upload(admin_client, source, "order", "sku,quantity\nA,1\n")

    assert response.status_code == 200
    assert "missing columns" in response.content.decode()
    assert not SourceRecord.objects.exists()


def test_viewers_cannot_import(client):
    client.force_login(make_user(group="viewer"))
    source = make_source(kind="csv")
    assert upload(client, source, "customer", CUSTOMERS).status_code == 403

"""Valid normalized records for the ingest tests (docs/normalized-schema.md)."""


def order_data(**overrides):
    data = {
        "number": "SO-1001",
        "email": "buyer@example.com",
        "customer": {"id": "C-1", "email": "buyer@example.com"},
        "currency": "EUR",
        "financial_status": "paid",
        "fulfillment_status": "unfulfilled",
        "channel": "b2b-portal",
        "store": "eu-store",
        "payment_gateways": ["adyen"],
        "lines": [
            {
                "id": "L1",
                "sku": "WIDGET-1",
                "title": "Widget",
                "quantity": 3,
                "unit_price": "10.00",
                "discount": "1.50",
                "tax_lines": [{"title": "VAT", "rate": "0.21", "amount": "5.99"}],
            }
        ],
        "shipping_lines": [
            {"title": "Courier", "price": "4.95", "discount": "0.00", "tax_lines": []}
        ],
        "discounts": [{"code": "B2B5", "type": "percentage", "amount": "1.50"}],
        "taxes_included": False,
        "subtotal_price": "28.50",
        "total_discounts": "1.50",
        "total_shipping": "4.95",
        "total_tax": "5.99",
        "total_price": "39.44",
        "created_at": "2024-06-01T10:00:00Z",
        "updated_at": "2024-06-01T10:00:00Z",
    }
    data.update(overrides)
    return data


def customer_data(**overrides):
    data = {
        "email": "buyer@example.com",
        "first_name": "Ada",
        "last_name": "Okafor",
        "currency": "EUR",
        "updated_at": "2024-06-01T09:00:00Z",
    }
    data.update(overrides)
    return data


def envelope(kind, external_id, data, **extra):
    return {"kind": kind, "external_id": external_id, "data": data, **extra}

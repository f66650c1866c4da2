"""Channel adapters: each platform's native order payload → the unified :class:`Order`.

``adapt(channel, payload)`` maps one payload; ``to_native(order, channel, rng)`` is the inverse the
demo-world generator uses, so every native format lives in exactly one place (the specs below).
Native formats follow the real platforms' open APIs in spirit: Tmall/JD send yuan strings and
local-time strings, Douyin/Kuaishou/Xiaohongshu/WeChat send integer fen and epoch or UTC times,
platforms mask phones and names. Samples: ``data/samples/channels/<channel>.json``.

Conventions of the unified order (documented for feature code):
``paid_amount`` is what the customer paid = Σ qty·unit_price − discount_amount (merchant
discounts) − ``attributes["platform_subsidy"]`` (coupons the platform funds, absent when 0) +
``attributes["shipping_fee"]`` (postage the customer paid, absent when 0).
``attributes["baby_age_months"]`` (int) is the declared baby age on infant-formula orders.
``attributes["flash_sale"]`` / ``["flash_sale_stock"]`` mark flash-sale orders and the units the
campaign promised. Item fields we do not map go to ``attributes["line_extras"]`` (one dict per
line); product titles are the one native field deliberately not kept (the catalog has them).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from ordersight.adapters._common import AdapterError, SkuMap, load_sku_map
from ordersight.adapters.channels import ChannelSpec, read_order, write_order
from ordersight.adapters.lines import LineSpec
from ordersight.schema import Order

__all__ = ["ADAPTERS", "SPECS", "AdapterError", "adapt", "load_sku_map", "to_native"]

_SPLIT = ("province", "city", "district", "town", "detail", "receiver", "phone")


def _split(*paths: str) -> dict[str, str]:
    """ADDRESS_FIELDS order → native paths ('' = the platform has no such field)."""
    return {k: p for k, p in zip(_SPLIT, paths, strict=True) if p}


SPECS: dict[str, ChannelSpec] = {
    s.name: s
    for s in (
        ChannelSpec(
            name="own_app",
            prefix="APP",
            order_id="id",
            id_is_int=False,
            created="placed_at",
            time_kind="iso_cst",
            money="fen",
            customer="member_id",
            paid="amounts.paid_fen",
            discount="amounts.coupon_fen",
            address=_split(
                "shipping.province",
                "shipping.city",
                "shipping.district",
                "",
                "shipping.line",
                "shipping.name",
                "shipping.mobile",
            ),
            warehouse="fulfil_wh",
            baby="baby.birthday",
            baby_kind="birthday",
            lines=LineSpec(
                key="items",
                sku="sku",
                qty="qty",
                unit="price_fen",
                list_price="list_price_fen",
                money="fen",
            ),
        ),
        ChannelSpec(
            name="own_mini",
            prefix="MINI",
            order_id="out_trade_no",
            id_is_int=False,
            created="create_time",
            time_kind="iso",
            money="fen",
            customer="openid",
            paid="cash_fee",
            discount="coupon_fee",
            address=_split(
                "address.provinceName",
                "address.cityName",
                "address.countyName",
                "",
                "address.detailInfo",
                "address.userName",
                "address.telNumber",
            ),
            warehouse="store_wh",
            baby="baby_age",
            baby_kind="text",
            lines=LineSpec(
                key="goods_detail",
                sku="goods_id",
                qty="quantity",
                unit="price",
                list_price="market_price",
                money="fen",
                ignored=("goods_name",),
            ),
        ),
        ChannelSpec(
            name="tmall",
            prefix="TM",
            order_id="tid",
            id_is_int=True,
            created="created",
            time_kind="local",
            money="yuan_str",
            customer="buyer_open_uid",
            paid="payment",
            discount="discount_fee",
            subsidy="tmall_coupon_fee",
            shipping="post_fee",
            masked=True,
            address=_split(
                "receiver_state",
                "receiver_city",
                "receiver_district",
                "receiver_town",
                "receiver_address",
                "receiver_name",
                "receiver_mobile",
            ),
            baby="extend_info",
            baby_kind="json:babyMonthAge",
            flash="activity",
            lines=LineSpec(
                key="orders.order",
                sku="outer_sku_id",
                platform_id="sku_id",
                qty="num",
                unit="payment",
                unit_is_total=True,
                list_price="price",
                money="yuan_str",
                ignored=("title",),
            ),
        ),
        ChannelSpec(
            name="jd",
            prefix="JD",
            order_id="orderId",
            id_is_int=False,
            created="orderStartTime",
            time_kind="local",
            money="yuan_str",
            customer="pin",
            paid="orderPayment",
            discount="sellerDiscount",
            subsidy="jdSubsidy",
            shipping="freightPrice",
            masked=True,
            raw_address="consigneeInfo.fullAddress",
            address=_split("", "", "", "", "", "consigneeInfo.fullname", "consigneeInfo.mobile"),
            warehouse="storeOrder",
            baby="extInfo.babyAgeMonth",
            lines=LineSpec(
                key="itemInfoList",
                sku="outerSkuId",
                platform_id="skuId",
                qty="itemTotal",
                qty_as_str=True,
                unit="salePrice",
                list_price="jdPrice",
                money="yuan_str",
                ignored=("skuName",),
            ),
        ),
        ChannelSpec(
            name="douyin",
            prefix="DY",
            order_id="order_id",
            id_is_int=False,
            created="create_time",
            time_kind="epoch_s",
            money="fen",
            customer="doudian_open_id",
            paid="pay_amount",
            discount="promotion_shop_amount",
            subsidy="promotion_platform_amount",
            shipping="post_amount",
            masked=True,
            nested_names=True,
            address=_split(
                "post_addr.province",
                "post_addr.city",
                "post_addr.town",
                "post_addr.street",
                "post_addr.detail",
                "mask_post_receiver",
                "mask_post_tel",
            ),
            flash="campaign_info",
            lines=LineSpec(
                key="sku_order_list",
                sku="out_sku_id",
                platform_id="sku_id",
                qty="item_num",
                unit="sku_price",
                list_price="origin_amount",
                money="fen",
                ignored=("product_name",),
            ),
        ),
        ChannelSpec(
            name="pdd",
            prefix="PDD",
            order_id="order_sn",
            id_is_int=False,
            created="created_time",
            time_kind="local",
            money="yuan",
            paid="pay_amount",
            discount="seller_discount",
            subsidy="platform_discount",
            shipping="postage",
            masked=True,
            address=_split(
                "province", "city", "town", "", "address", "receiver_name", "receiver_phone"
            ),
            flash="promotion_activity",
            lines=LineSpec(
                key="item_list",
                sku="outer_id",
                platform_id="sku_id",
                qty="goods_count",
                unit="goods_price",
                money="yuan",
                ignored=("goods_name",),
            ),
        ),
        ChannelSpec(
            name="kuaishou",
            prefix="KS",
            order_id="oid",
            id_is_int=True,
            created="createTime",
            time_kind="epoch_ms",
            money="fen",
            customer="buyerOpenId",
            paid="totalFee",
            discount="discountFee",
            subsidy="platformAllowance",
            shipping="expressFee",
            masked=True,
            address=_split(
                "addressInfo.province",
                "addressInfo.city",
                "addressInfo.district",
                "addressInfo.town",
                "addressInfo.address",
                "addressInfo.consignee",
                "addressInfo.mobile",
            ),
            flash="activityInfo",
            lines=LineSpec(
                key="orderItemList",
                sku="skuNick",
                platform_id="skuId",
                qty="num",
                unit="price",
                list_price="originalPrice",
                money="fen",
                ignored=("itemTitle",),
            ),
        ),
        ChannelSpec(
            name="xiaohongshu",
            prefix="XHS",
            order_id="orderId",
            id_is_int=False,
            created="orderedAt",
            time_kind="epoch_ms",
            money="fen",
            customer="userId",
            paid="totalPayAmount",
            discount="totalMerchantDiscount",
            subsidy="totalRedDiscount",
            shipping="totalShippingFee",
            masked=True,
            raw_address="receiverAddress",
            address=_split("", "", "", "", "", "receiverName", "receiverPhone"),
            lines=LineSpec(
                key="skuList",
                sku="erpCode",
                platform_id="skuId",
                qty="skuQuantity",
                unit="skuPaidPrice",
                list_price="skuOriginalPrice",
                money="fen",
                ignored=("skuName",),
            ),
        ),
        ChannelSpec(
            name="offline_pos",
            prefix="POS",
            order_id="receipt_no",
            id_is_int=False,
            created="ts",
            time_kind="compact",
            money="yuan",
            customer="member_no",
            paid="paid",
            discount="promo_off",
            raw_address="delivery.address",
            contact="delivery.contact",
            warehouse="store_wh",
            baby="member.baby_months",
            lines=LineSpec(
                key="lines", sku="code", qty="qty", unit="price", list_price="orig", money="yuan"
            ),
        ),
    )
}


def adapt(channel: str, payload: Mapping[str, Any], sku_map: SkuMap | None = None) -> Order:
    """Map one native payload of ``channel`` to a unified order.

    Raises :class:`AdapterError` (a ValueError naming the native field) for a payload that
    cannot be mapped. Platform SKU ids without a merchant code are looked up in ``sku_map``.
    """
    spec = SPECS.get(channel)
    if spec is None:
        raise AdapterError(channel, "channel", f"no adapter; known: {', '.join(SPECS)}")
    return read_order(spec, payload, sku_map)


def to_native(
    order: Order,
    channel: str,
    rng: random.Random,
    platform_ids: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The native payload ``channel`` would send for ``order`` (inverse of :func:`adapt`).

    ``platform_ids`` maps merchant SKU → this platform's SKU id; ``names`` SKU → product title.
    """
    return write_order(SPECS[channel], order, rng, platform_ids, names)


ADAPTERS: dict[str, Callable[..., Order]] = {c: partial(adapt, c) for c in SPECS}

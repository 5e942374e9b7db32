"""Unit conversions asked in English or Chinese ("convert 5 miles to km", "5斤等于多少公斤"),
answered exactly with the factor shown: "3 km = 3000 m (1 km = 1000 m)."

A conversion needs a number with a unit, an explicit "in/to/convert/是多少/等于多少/换算成" and a
second unit of the same dimension; anything else is left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from agent.compute_arithmetic import format_number
from agent.numbers import zh_numeral


@dataclass(frozen=True, slots=True)
class Unit:
    dimension: str
    factor: Fraction  # size in the base unit of the dimension (m, g, ml, s, m/s); temperatures: 1
    en: str
    zh: str
    aliases: tuple[str, ...]


def _unit(dimension: str, factor: str, en: str, zh: str, aliases: str) -> Unit:
    return Unit(dimension, Fraction(factor), en, zh, tuple(aliases.split("|")))


UNITS = (
    _unit("length", "0.001", "mm", "毫米", "mm|millimeter|millimeters|millimetre|millimetres|毫米"),
    _unit("length", "0.01", "cm", "厘米", "cm|centimeter|centimeters|centimetre|centimetres|厘米|公分"),
    _unit("length", "1", "m", "米", "m|meter|meters|metre|metres|米"),
    _unit("length", "1000", "km", "公里", "km|kms|kilometer|kilometers|kilometre|kilometres|公里|千米"),
    _unit("length", "0.0254", "in", "英寸", "inch|inches|英寸"),
    _unit("length", "0.3048", "ft", "英尺", "ft|foot|feet|英尺"),
    _unit("length", "0.9144", "yd", "码", "yd|yds|yard|yards|码"),
    _unit("length", "1609.344", "mi", "英里", "mi|mile|miles|英里"),
    _unit("mass", "0.001", "mg", "毫克", "mg|milligram|milligrams|毫克"),
    _unit("mass", "1", "g", "克", "g|gram|grams|gramme|grammes|克"),
    _unit("mass", "1000", "kg", "千克", "kg|kgs|kilogram|kilograms|kilo|kilos|千克|公斤"),
    _unit("mass", "500", "jin", "斤", "jin|斤"),
    _unit("mass", "1000000", "t", "吨", "t|tonne|tonnes|metric ton|metric tons|吨"),
    _unit("mass", "28.349523125", "oz", "盎司", "oz|ounce|ounces|盎司"),
    _unit("mass", "453.59237", "lb", "磅", "lb|lbs|pound|pounds|磅"),
    _unit("volume", "1", "ml", "毫升", "ml|milliliter|milliliters|millilitre|millilitres|毫升"),
    _unit("volume", "1000", "L", "升", "l|liter|liters|litre|litres|升|公升"),
    _unit("volume", "3785.411784", "US gal", "加仑", "gal|gallon|gallons|us gallon|us gallons|加仑"),
    _unit("volume", "236.5882365", "US cup", "杯", "cup|cups|us cup|us cups|杯"),
    _unit("time", "1", "s", "秒", "s|sec|secs|second|seconds|秒|秒钟"),
    _unit("time", "60", "min", "分钟", "min|mins|minute|minutes|分钟|分"),
    _unit("time", "3600", "h", "小时", "h|hr|hrs|hour|hours|小时|钟头|个小时"),
    _unit("time", "86400", "day", "天", "day|days|天"),
    _unit("time", "604800", "week", "周", "week|weeks|wk|wks|周|星期|个星期|礼拜|个礼拜"),
    _unit("speed", "1", "m/s", "米每秒", "m/s|meters per second|metres per second|米每秒|米/秒"),
    _unit("speed", "5/18", "km/h", "公里每小时",
          "km/h|kmh|kph|km per hour|kilometers per hour|kilometres per hour|公里每小时|千米每小时|公里/小时"
          "|千米/小时|千米/时"),
    _unit("speed", "0.44704", "mph", "英里每小时", "mph|miles per hour|英里每小时|英里/小时"),
    _unit("temperature", "1", "°C", "摄氏度",
          "°c|℃|c|celsius|centigrade|degrees celsius|degree celsius|degrees c|摄氏度|摄氏|度"),
    _unit("temperature", "1", "°F", "华氏度",
          "°f|℉|f|fahrenheit|degrees fahrenheit|degree fahrenheit|degrees f|华氏度|华氏"),
    _unit("temperature", "1", "K", "开尔文", "k|kelvin|kelvins|开尔文"),
)
_BY_ALIAS = {alias: unit for unit in UNITS for alias in unit.aliases}
_ZH_NAMES_AS_WRITTEN = frozenset({"千米", "公斤", "公分", "公升", "星期", "礼拜", "钟头", "千米每小时"})
_EN_WORDS = frozenset({"day", "week", "US cup"})

# Kelvin = (value + offset) * scale, per temperature unit
_TO_KELVIN = {"°C": (Fraction("273.15"), Fraction(1)), "K": (Fraction(0), Fraction(1)),
              "°F": (Fraction("459.67"), Fraction(5, 9))}
_FORMULAS = {("°C", "°F"): "{F} = {C} × 9/5 + 32", ("°F", "°C"): "{C} = ({F} - 32) × 5/9",
             ("°C", "K"): "{K} = {C} + 273.15", ("K", "°C"): "{C} = {K} - 273.15",
             ("°F", "K"): "{K} = ({F} - 32) × 5/9 + 273.15", ("K", "°F"): "{F} = ({K} - 273.15) × 9/5 + 32"}


def _alias_pattern(alias: str) -> str:
    pattern = re.escape(alias).replace(r"\ ", r"\s+")
    return rf"(?<![a-z]){pattern}(?![a-z/])" if alias[0].isascii() else pattern


_UNIT = "(?:" + "|".join(_alias_pattern(a) for a in sorted(_BY_ALIAS, key=len, reverse=True)) + ")"
_NUM = (r"(?:(?<![a-z\d.-])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![a-z\d.-])-?\d++(?:\.\d++)?"
        r"|(?<![零〇一二两三四五六七八九十百千万])[零〇一二两三四五六七八九十百千万]{1,12}?)")
_QUESTIONS = (
    re.compile(rf"(?P<num>{_NUM})\s*(?P<source>{_UNIT})\s+(?:in|to|into|as)\s+(?P<target>{_UNIT})"
               r"(?=\s*(?:[?.!,;:。]|please\b|$))"),
    re.compile(rf"\bhow\s+many\s+(?P<target>{_UNIT})\s+(?:(?:are|is)\s+(?:there\s+)?)?(?:in\s+)?"
               rf"(?:(?P<num>{_NUM})\s*|an?\s+)(?P<source>{_UNIT})"),
    re.compile(rf"(?P<num>{_NUM})\s*(?P<source>{_UNIT})\s*(?:换算成|换算为|转换成|转换为|转化为|折合|折算成|"
               rf"等于|是|合|相当于)\s*(?:多少|几)\s*个?\s*(?P<target>{_UNIT})"),
    re.compile(rf"(?P<num>{_NUM})\s*(?P<source>{_UNIT})\s*(?:换算|转换|转化|折算|转|换|化)\s*(?:成|为)\s*"
               rf"(?P<target>{_UNIT})"),
)


def _number(text: str | None) -> Fraction | None:
    if not text:
        return Fraction(1)  # "how many feet in a mile"
    if text[-1].isdigit():
        return Fraction(text.replace(",", ""))
    value = zh_numeral(text)
    return None if value is None or text == "万" else Fraction(int(value))


def _name(unit: Unit, alias: str, number: str, language: str) -> str:
    """The unit as shown: the Chinese name the user wrote ("公斤") or the usual one; English
    symbols, with words in the plural ("2 days")."""
    if language == "zh":
        return alias if alias in _ZH_NAMES_AS_WRITTEN else unit.zh
    return unit.en + ("s" if unit.en in _EN_WORDS and number not in ("1", "-1") else "")


def convert(value: Fraction, source: Unit, target: Unit) -> Fraction:
    """``value`` in ``source`` units expressed in ``target`` units, exactly."""
    if source.dimension != "temperature":
        return value * source.factor / target.factor
    offset, scale = _TO_KELVIN[source.en]
    kelvin = (value + offset) * scale
    offset, scale = _TO_KELVIN[target.en]
    return kelvin / scale - offset


def _working(source: Unit, target: Unit, aliases: tuple[str, str], language: str) -> str:
    """The factor ("1 km = 1000 m"; "1 mi = 1.609344 km" for km -> mi, where only that way round is
    exact) or, for temperatures, the formula; "" for the same unit."""
    if source is target:
        return ""
    if source.dimension == "temperature":
        symbols = {"°C": "C", "°F": "F", "K": "K"}
        return _FORMULAS[(source.en, target.en)].format(**{
            symbols[source.en]: _name(source, aliases[0], "", language),
            symbols[target.en]: _name(target, aliases[1], "", language)})
    factor, exact = format_number(convert(Fraction(1), source, target))
    if not exact and format_number(convert(Fraction(1), target, source))[1]:
        source, target, aliases = target, source, (aliases[1], aliases[0])
        factor, exact = format_number(convert(Fraction(1), source, target))
    return (f"1 {_name(source, aliases[0], '1', language)} {'=' if exact else '≈'} {factor} "
            f"{_name(target, aliases[1], factor, language)}")


def answer_conversion(text: str, language: str) -> str | None:
    """"3 km = 3000 m (1 km = 1000 m)." for a conversion asked in ``text`` (lowercased), or None."""
    for question in _QUESTIONS:
        match = question.search(text)
        if match is None:
            continue
        aliases = (re.sub(r"\s+", " ", match["source"]), re.sub(r"\s+", " ", match["target"]))
        source, target = _BY_ALIAS[aliases[0]], _BY_ALIAS[aliases[1]]
        value = _number(match["num"])
        if source.dimension != target.dimension or value is None or abs(value) > 10**15:
            return None
        given, _ = format_number(value)
        result, exact = format_number(convert(value, source, target))
        shown = (f"{given} {_name(source, aliases[0], given, language)} {'=' if exact else '≈'} "
                 f"{result} {_name(target, aliases[1], result, language)}")
        working = "" if value == 1 and source.dimension != "temperature" else _working(
            source, target, aliases, language)
        if language == "zh":
            return f"{shown}（{working}）。" if working else f"{shown}。"
        return f"{shown} ({working})." if working else f"{shown}."
    return None

"""Arithmetic in a message ("what is 12 * (3 + 4)?", "3乘以4是多少"), parsed by a small
recursive-descent parser and evaluated exactly with fractions; never ``eval``.

An expression counts only when it has an operator between two numbers and the message asks
for it: an asking word right before it ("what is", "calculate", "计算"), "=" / "等于" /
"是多少" right after it, or nothing but a greeting and punctuation around it ("1+1?").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from agent.numbers import zh_numeral

Number = Fraction | float

_LIMIT = 10**100  # larger results are refused: "too large to compute exactly"
_MAX_DIGITS = 1000  # a power is not computed when its exact value would need more digits

_ZH_NUMERAL = "零〇○一二两三四五六七八九十百千万"
_TOKEN = re.compile(
    r"(?P<num>(?<![\d.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?!\.?\d))"
    rf"|(?P<zh>[{_ZH_NUMERAL}]{{1,12}})"
    r"|(?P<op>\*\*|[-+*/^]|(?<=\s)x(?=\s)|\bplus\b|\bminus\b|\btimes\b|\bmultiplied\s+by\b|"
    r"\bdivided\s+by\b|\bover\b|\bto\s+the\s+power\s+of\b|加上?|减去?|乘以?|除以|(?<=%)\s*of\b)"
    r"|(?P<post>%|²|³|的?[平立]方(?!米|公里|千米|厘米|毫米|分米|英|码|根)|\bsquared\b|\bcubed\b)"
    r"|(?P<paren>[()])"
    r"|(?P<space>\s+)"
)
_OPS = {"**": "^", "^": "^", "+": "+", "-": "-", "*": "*", "/": "/", "x": "*", "plus": "+", "minus": "-",
        "times": "*", "multiplied by": "*", "divided by": "/", "over": "/", "to the power of": "^",
        "加": "+", "加上": "+", "减": "-", "减去": "-", "乘": "*", "乘以": "*", "除以": "/", "of": "*"}
_POSTFIX = {"%": "%", "²": "²", "³": "³", "平方": "²", "的平方": "²", "立方": "³", "的立方": "³",
            "squared": "²", "cubed": "³"}
_SHOWN = {"+": " + ", "-": " - ", "*": " × ", "/": " ÷ ", "^": "^"}

_ASK_BEFORE = re.compile(
    r"(?:\bwhat(?:'s|s|\s+is|\s+are)|\bhow\s+much\s+is|\bcalculate|\bcompute|\bevaluate|\bsolve|"
    r"\bwork\s+out|计算一?下?|算一?下|算算|请问|求)"
    r"(?:\s+the\s+(?:result|value|answer)\s+of)?\s*[:：]?\s*$")
_ASK_AFTER = re.compile(r"^\s*(?:=|等于|是多少|得多少|得几|是几|\bequals?\b|\bis\s*\?)")
_GREETING = re.compile(r"^(?:[\W_]|\b(?:hi|hello|hey|please|ok|okay)\b|你好|您好|嗨|请)*$")
_PUNCTUATION = re.compile(r"^[\W_]*$")
_DATE_LIKE = re.compile(r"(?<!\d)(?:\d{4}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,2}"
                        r"|\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{2,4})(?!\d)")
_LEADING_ZERO = re.compile(r"(?<![\d.,])0\d")
_PHONE = re.compile(r"^\d+(?:-\d+){2,}$")


class TooLarge(ArithmeticError):
    """The exact result would be too large (or need too many digits) to compute."""


@dataclass(frozen=True, slots=True)
class Num:
    value: Fraction
    text: str


@dataclass(frozen=True, slots=True)
class Neg:
    operand: Node


@dataclass(frozen=True, slots=True)
class Group:
    inner: Node


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # + - * / ^
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Postfix:
    op: str  # % ² ³
    operand: Node


Node = Num | Neg | Group | Binary | Postfix
Token = tuple[str, str, int, int]  # kind, text, start, end


def tokenize_runs(text: str) -> list[list[Token]]:
    """Stretches of ``text`` made only of numbers, operators and parentheses (spaces dropped)."""
    runs: list[list[Token]] = [[]]
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            if runs[-1]:
                runs.append([])
            position += 1
            continue
        kind = match.lastgroup or ""
        if kind != "space":
            runs[-1].append((kind, match.group().strip(), match.start(), match.end()))
        position = match.end()
    return [run for run in runs if run]


class _Parser:
    """expr := term (('+'|'-') term)*; term := unary (('*'|'/') unary)*;
    unary := '-' unary | power; power := postfix ('^' unary)?; postfix := atom ('%'|'²'|'³')*;
    atom := number | '(' expr ')'."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0

    def peek(self) -> tuple[str, str]:
        if self.index >= len(self.tokens):
            return "", ""
        kind, text = self.tokens[self.index][:2]
        if kind == "op":
            return kind, _OPS[re.sub(r"\s+", " ", text)]
        if kind == "post":
            return kind, _POSTFIX[text]
        return kind, text

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.index += 1
        return token

    def expression(self) -> Node:
        node = self.term()
        while self.peek() in (("op", "+"), ("op", "-")):
            node = Binary(self.take()[1], node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.peek() in (("op", "*"), ("op", "/")):
            node = Binary(self.take()[1], node, self.unary())
        return node

    def unary(self) -> Node:
        if self.peek() == ("op", "-"):
            self.take()
            return Neg(self.unary())
        if self.peek() == ("op", "+"):
            self.take()
            return self.unary()
        node = self.postfix()
        if self.peek() == ("op", "^"):
            self.take()
            return Binary("^", node, self.unary())
        return node

    def postfix(self) -> Node:
        node = self.atom()
        while self.peek()[0] == "post":
            node = Postfix(self.take()[1], node)
        return node

    def atom(self) -> Node:
        kind, text = self.take()
        if kind == "num":
            return Num(Fraction(text.replace(",", "")), text)
        if kind == "zh" and text not in ("万",):
            value = zh_numeral(text)
            if value is not None and math.isfinite(value):
                return Num(Fraction(int(value)), str(int(value)))
        if (kind, text) == ("paren", "("):
            node = self.expression()
            if self.take() == ("paren", ")"):
                return Group(node)
        raise ValueError("not an arithmetic expression")


def parse(tokens: list[Token]) -> Node | None:
    """The expression the tokens spell, or None when they do not form one."""
    parser = _Parser(tokens)
    try:
        node = parser.expression()
    except (ValueError, KeyError, RecursionError):
        return None
    return node if parser.index == len(tokens) else None


def _has_operation(node: Node) -> bool:
    if isinstance(node, Binary):
        return True
    if isinstance(node, Postfix):
        return node.op != "%" or _has_operation(node.operand)
    if isinstance(node, Neg):
        return _has_operation(node.operand)
    return isinstance(node, Group) and _has_operation(node.inner)


def _checked(value: Number) -> Number:
    if isinstance(value, float):
        if math.isinf(value) or math.isnan(value) or abs(value) > _LIMIT:
            raise TooLarge
        return value
    if abs(value) > _LIMIT or value.denominator.bit_length() > 4 * _MAX_DIGITS:
        raise TooLarge
    return value


def _power(base: Number, exponent: Number) -> Number:
    integral = Fraction(exponent).denominator == 1
    if integral and isinstance(base, Fraction):
        n = int(exponent)
        if base in (0, 1, -1) or n == 0:
            return base**n
        digits = abs(n) * max(math.log10(abs(base.numerator)), math.log10(base.denominator))
        if digits > _MAX_DIGITS:
            raise TooLarge
        return base**n
    if base < 0 and not integral:
        raise ValueError("no real value")
    if base == 0 and exponent < 0:
        raise ZeroDivisionError
    try:
        return math.pow(float(base), float(exponent))
    except OverflowError as error:
        raise TooLarge from error


def evaluate(node: Node) -> Number:
    """The exact value (a float only after a fractional power). Raises ZeroDivisionError,
    TooLarge, or ValueError (no real value)."""
    if isinstance(node, Num):
        return _checked(node.value)
    if isinstance(node, Neg):
        return -evaluate(node.operand)
    if isinstance(node, Group):
        return evaluate(node.inner)
    if isinstance(node, Postfix):
        value = evaluate(node.operand)
        if node.op == "%":
            return _checked(value / 100)
        return _checked(_power(value, Fraction(2 if node.op == "²" else 3)))
    left, right = evaluate(node.left), evaluate(node.right)
    if node.op == "+":
        return _checked(left + right)
    if node.op == "-":
        return _checked(left - right)
    if node.op == "*":
        return _checked(left * right)
    if node.op == "/":
        return _checked(left / right)
    return _checked(_power(left, right))


def render(node: Node) -> str:
    """The expression as shown in the working: "12 × (3 + 4)", "2^10", "15% × 80"."""
    if isinstance(node, Num):
        return node.text
    if isinstance(node, Neg):
        return f"-{render(node.operand)}"
    if isinstance(node, Group):
        return f"({render(node.inner)})"
    if isinstance(node, Postfix):
        return f"{render(node.operand)}{node.op}"
    return f"{render(node.left)}{_SHOWN[node.op]}{render(node.right)}"


def format_number(value: Number) -> tuple[str, bool]:
    """The value as text (integers in full, others to 10 significant digits, no trailing zeros)
    and whether that text is exact."""
    exact_value = Fraction(value)
    if exact_value.denominator == 1 and (isinstance(value, Fraction) or abs(value) < 2**53):
        return str(exact_value.numerator), isinstance(value, Fraction)
    with localcontext() as context:
        context.prec, context.rounding = 10, ROUND_HALF_UP
        rounded = (Decimal(exact_value.numerator) / Decimal(exact_value.denominator)).normalize()
    text = format(rounded, "f") if -10 < rounded.adjusted() < 20 else format(rounded, "e")
    return text, isinstance(value, Fraction) and Fraction(rounded) == exact_value


def _asked(text: str, start: int, end: int) -> bool:
    before, after = text[:start], text[end:]
    if _ASK_BEFORE.search(before) or _ASK_AFTER.match(after):
        return True
    return bool(_GREETING.match(before) and _PUNCTUATION.match(after))


def _looks_like_other_number(span: str) -> bool:
    """A date (2025-05-02), a phone number (0800-414, 414-555-2290) or a number with leading
    zeros."""
    return bool(_DATE_LIKE.search(span) or _LEADING_ZERO.search(span) or _PHONE.match(span))


def find_expression(text: str) -> Node | None:
    """The asked-for expression in ``text``, or None."""
    for run in tokenize_runs(text):
        while run and run[0][0] in ("op", "post") and run[0][1] not in ("-", "+"):
            run = run[1:]  # "参加3加4": the 加 of 参加 is not an operator
        if not run:
            continue
        node = parse(run)
        start, end = run[0][2], run[-1][3]
        if node is None or not _has_operation(node) or _looks_like_other_number(text[start:end]):
            continue
        if _asked(text, start, end):
            return node
    return None


def answer_arithmetic(text: str, language: str) -> str | None:
    """"1 + 1 = 2" for an asked-for expression in ``text`` (lowercased), or None."""
    node = find_expression(text)
    if node is None:
        return None
    shown = render(node)
    zh = language == "zh"
    try:
        value = evaluate(node)
    except ZeroDivisionError:
        return f"{shown}：不能除以零。" if zh else f"{shown} has no value: cannot divide by zero."
    except TooLarge:
        return (f"{shown} 的结果太大（超过 10^100），无法精确计算。" if zh
                else f"{shown} is too large to compute exactly (over 10^100).")
    except ValueError:
        return None
    result, exact = format_number(value)
    return f"{shown} {'=' if exact else '≈'} {result}"

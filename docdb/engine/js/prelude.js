// The scope prelude: mongod's shell types and helpers, and the BSON value bridge (see prelude.py).
(function () {
  var G = globalThis;
  function hexRandom(n) { var s = ''; for (var i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(Math.random() * 16)]; return s; }
  function ObjectId(hex) {
    if (!(this instanceof ObjectId)) return new ObjectId(hex);
    if (hex === undefined) {
      var t = Math.floor(Date.now() / 1000).toString(16);
      hex = ('00000000' + t).slice(-8) + hexRandom(16);
    }
    if (typeof hex !== 'string' || !/^[0-9a-fA-F]{24}$/.test(hex)) throw new Error('invalid object id: length');
    this.str = hex.toLowerCase();
  }
  ObjectId.prototype.toString = function () { return 'ObjectId("' + this.str + '")'; };
  ObjectId.prototype.tojson = ObjectId.prototype.toString;
  ObjectId.prototype.toHexString = function () { return this.str; };
  ObjectId.prototype.valueOf = function () { return this.str; };
  ObjectId.prototype.equals = function (o) { return o instanceof ObjectId && o.str === this.str; };
  ObjectId.prototype.getTimestamp = function () { return new Date(parseInt(this.str.slice(0, 8), 16) * 1000); };

  function NumberLong(v) {
    if (!(this instanceof NumberLong)) return new NumberLong(v);
    var s = v === undefined ? '0' : (typeof v === 'string' ? v : String(Math.trunc(Number(v))));
    Object.defineProperty(this, '__v', {value: s, enumerable: false});
    this.floatApprox = Number(s);
  }
  NumberLong.prototype.valueOf = function () { return this.floatApprox; };
  NumberLong.prototype.toNumber = function () { return this.floatApprox; };
  NumberLong.prototype.toString = function () {
    return Number.isSafeInteger(this.floatApprox) ? 'NumberLong(' + this.__v + ')' : 'NumberLong("' + this.__v + '")';
  };
  NumberLong.prototype.tojson = NumberLong.prototype.toString;
  NumberLong.prototype.equals = function (o) { return o instanceof NumberLong && o.__v === this.__v; };

  function NumberInt(v) {
    if (!(this instanceof NumberInt)) return new NumberInt(v);
    this.__i = (v === undefined ? 0 : Number(v)) | 0;
  }
  NumberInt.prototype.valueOf = function () { return this.__i; };
  NumberInt.prototype.toNumber = function () { return this.__i; };
  NumberInt.prototype.toString = function () { return 'NumberInt(' + this.__i + ')'; };
  NumberInt.prototype.tojson = NumberInt.prototype.toString;

  function NumberDecimal(v) {
    if (!(this instanceof NumberDecimal)) return new NumberDecimal(v);
    this.__d = v === undefined ? '0' : String(v);
  }
  NumberDecimal.prototype.toString = function () { return 'NumberDecimal("' + this.__d + '")'; };
  NumberDecimal.prototype.tojson = NumberDecimal.prototype.toString;

  function BinData(subtype, base64) {
    if (!(this instanceof BinData)) return new BinData(subtype, base64);
    this.type = subtype; this.base64 = function () { return base64; };
    Object.defineProperty(this, '__b', {value: base64, enumerable: false});
  }
  BinData.prototype.toString = function () { return 'BinData(' + this.type + ',"' + this.__b + '")'; };

  function Timestamp(t, i) {
    if (!(this instanceof Timestamp)) return new Timestamp(t, i);
    this.t = t || 0; this.i = i || 0;
  }
  Timestamp.prototype.toString = function () { return 'Timestamp(' + this.t + ', ' + this.i + ')'; };
  function MinKey() { if (!(this instanceof MinKey)) return new MinKey(); }
  function MaxKey() { if (!(this instanceof MaxKey)) return new MaxKey(); }
  function Code(c) { if (!(this instanceof Code)) return new Code(c); this.code = c; }
  Code.prototype.toString = function () { return this.code; };

  var TAG = '\u0001';
  function revive(k, v) {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !(TAG in v)) return v;
    var t = v[TAG];
    switch (t[0]) {
      case 'oid': return new ObjectId(t[1]);
      case 'date': return new Date(t[1]);
      case 'long': return new NumberLong(t[1]);
      case 'dbl': return Number(t[1]);
      case 'dec': return new NumberDecimal(t[1]);
      case 'bin': return new BinData(t[1], t[2]);
      case 'ts': return new Timestamp(t[1], t[2]);
      case 're': return new RegExp(t[1], t[2]);
      case 'code': return new Code(t[1]);
      case 'min': return new MinKey();
      case 'max': return new MaxKey();
    }
    return v;
  }
  function tag(raw) {
    if (typeof raw === 'number') return isFinite(raw) ? raw : {'\u0001': ['dbl', String(raw)]};
    if (raw === null || typeof raw !== 'object') {
      if (typeof raw === 'function') return {'\u0001': ['code', raw.toString()]};
      return raw;
    }
    if (raw instanceof Date) return {'\u0001': ['date', raw.getTime()]};
    if (raw instanceof ObjectId) return {'\u0001': ['oid', raw.str]};
    if (raw instanceof NumberLong) return {'\u0001': ['long', raw.__v]};
    if (raw instanceof NumberInt) return {'\u0001': ['int', raw.__i]};
    if (raw instanceof NumberDecimal) return {'\u0001': ['dec', raw.__d]};
    if (raw instanceof BinData) return {'\u0001': ['bin', raw.type, raw.__b]};
    if (raw instanceof Timestamp) return {'\u0001': ['ts', raw.t, raw.i]};
    if (raw instanceof RegExp) return {'\u0001': ['re', raw.source, raw.flags]};
    if (raw instanceof Code) return {'\u0001': ['code', raw.code]};
    if (raw instanceof MinKey) return {'\u0001': ['min']};
    if (raw instanceof MaxKey) return {'\u0001': ['max']};
    if (raw instanceof Number || raw instanceof String || raw instanceof Boolean) return raw.valueOf();
    return raw;
  }
  function replacer(k, v) { return tag(this[k]); }
  G.__in = function (text) { return JSON.parse(text, revive); };
  G.__out = function (value) { var s = JSON.stringify(value, replacer); return s === undefined ? 'null' : s; };
  G.__call = function (fn, thisText, argsText) {
    var self = thisText === null ? undefined : __in(thisText);
    if (self !== undefined) G.obj = self;
    return __out(fn.apply(self, __in(argsText)));
  };
  G.__pred = function (fn, docText) {
    var self = __in(docText); G.obj = self;
    return !!fn.call(self);
  };

  function tojson(x) {
    if (x === undefined) return 'undefined';
    if (x === null) return 'null';
    if (typeof x === 'string') return JSON.stringify(x);
    if (typeof x === 'function') return x.toString();
    if (typeof x !== 'object') return String(x);
    if (x instanceof Date) return 'ISODate("' + x.toISOString() + '")';
    if (typeof x.tojson === 'function') return x.tojson();
    if (Array.isArray(x)) return '[ ' + x.map(tojson).join(', ') + ' ]';
    var parts = [];
    for (var k in x) if (Object.prototype.hasOwnProperty.call(x, k)) parts.push('"' + k + '" : ' + tojson(x[k]));
    return '{ ' + parts.join(', ') + ' }';
  }

  function md5(str) {
    var bytes = unescape(encodeURIComponent(String(str)));
    var n = bytes.length, words = [], i;
    for (i = 0; i < n; i++) words[i >> 2] |= (bytes.charCodeAt(i) & 0xff) << ((i % 4) * 8);
    words[n >> 2] |= 0x80 << ((n % 4) * 8);
    var total = (((n + 8) >> 6) + 1) * 16;
    for (i = 0; i < total; i++) words[i] = words[i] | 0;
    words[total - 2] = n * 8;
    var S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21], K = [];
    for (i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 4294967296) | 0;
    var a0 = 0x67452301, b0 = 0xefcdab89 | 0, c0 = 0x98badcfe | 0, d0 = 0x10325476;
    for (var off = 0; off < total; off += 16) {
      var a = a0, b = b0, c = c0, d = d0;
      for (i = 0; i < 64; i++) {
        var f, g, r = i >> 4;
        if (r === 0) { f = (b & c) | (~b & d); g = i; }
        else if (r === 1) { f = (d & b) | (~d & c); g = (5 * i + 1) % 16; }
        else if (r === 2) { f = b ^ c ^ d; g = (3 * i + 5) % 16; }
        else { f = c ^ (b | ~d); g = (7 * i) % 16; }
        var tmp = d; d = c; c = b;
        var sum = (a + f + K[i] + words[off + g]) | 0, s = S[r * 4 + (i % 4)];
        b = (b + ((sum << s) | (sum >>> (32 - s)))) | 0; a = tmp;
      }
      a0 = (a0 + a) | 0; b0 = (b0 + b) | 0; c0 = (c0 + c) | 0; d0 = (d0 + d) | 0;
    }
    var out = '';
    [a0, b0, c0, d0].forEach(function (w) {
      for (var j = 0; j < 4; j++) out += ('0' + ((w >>> (j * 8)) & 0xff).toString(16)).slice(-2);
    });
    return out;
  }
  G.hex_md5 = md5;
  G.tojson = tojson;
  G.tojsononeline = tojson;
  G.print = function () {};
  G.printjson = function () {};
  G.isNumber = function (x) { return typeof x === 'number'; };
  G.isString = function (x) { return typeof x === 'string'; };
  G.isObject = function (x) { return typeof x === 'object'; };
  G.sleep = function (ms) { var end = Date.now() + ms; while (Date.now() < end) {} };
  Array.sum = function (a) { if (a.length === 0) return null; var s = a[0]; for (var i = 1; i < a.length; i++) s += a[i]; return s; };
  Array.avg = function (a) { if (a.length === 0) return null; return Array.sum(a) / a.length; };
  Array.contains = function (a, x) { for (var i = 0; i < a.length; i++) if (a[i] == x) return true; return false; };
  Array.unique = function (a) { var o = []; for (var i = 0; i < a.length; i++) if (o.indexOf(a[i]) < 0) o.push(a[i]); return o; };
  Array.tojson = function (a) { return tojson(a); };
  G.ObjectId = ObjectId; G.NumberLong = NumberLong; G.NumberInt = NumberInt; G.NumberDecimal = NumberDecimal;
  G.BinData = BinData; G.Timestamp = Timestamp; G.MinKey = MinKey; G.MaxKey = MaxKey; G.Code = Code;
  G.ISODate = function (s) { return s === undefined ? new Date() : new Date(s); };
})();

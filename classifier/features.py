"""Feature extraction and per-head estimators.

Features: TF-IDF over jieba words (1-2 grams seen at least twice, domain dictionary, stopwords removed)
joined with TF-IDF over character 1-3 grams, both on the normalised text.  The same fitted feature union is shared by all
heads of a model, so a batch is tokenised and vectorised once (see :class:`classifier.model.Classifier`),
while each head is still a complete scikit-learn ``Pipeline`` (features -> classifier).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from .text import char_ngrams as text_char_ngrams
from .text import normalize, tokenize

DEFAULT_FEATURES: dict[str, Any] = {
    "word_ngrams": (1, 2),
    "char_ngrams": (1, 3),
    "word_min_df": 2,
    "char_min_df": 2,
    "max_features": 300_000,
    "sublinear_tf": True,
}


def build_features(
    *,
    tokenizer=tokenize,
    preprocessor=normalize,
    char_preprocessor=None,
    word_ngrams=(1, 2),
    char_ngrams=(1, 3),
    word_min_df=2,
    char_min_df=2,
    max_features=300_000,
    sublinear_tf=True,
    use_words=True,
    use_chars=True,
) -> FeatureUnion:
    """Word + char TF-IDF union.  ``tokenizer`` / ``preprocessor`` must be module-level functions."""
    parts = []
    if use_words:
        parts.append((
            "word",
            TfidfVectorizer(
                tokenizer=tokenizer,
                preprocessor=preprocessor,
                token_pattern=None,
                lowercase=False,
                ngram_range=tuple(word_ngrams),
                min_df=word_min_df,
                max_features=max_features,
                sublinear_tf=sublinear_tf,
                dtype=np.float32,
            ),
        ))
    if use_chars:
        # the default (normalised text) uses our char_ngrams analyser, a faster equivalent of
        # analyzer="char"; other preprocessors (pre-tokenised benchmark data) use scikit-learn's
        fast = (char_preprocessor or preprocessor) is normalize and tuple(char_ngrams) == (1, 3)
        parts.append((
            "char",
            TfidfVectorizer(
                analyzer=text_char_ngrams if fast else "char",
                preprocessor=None if fast else (char_preprocessor or preprocessor),
                lowercase=False,
                ngram_range=(1, 1) if fast else tuple(char_ngrams),
                min_df=char_min_df,
                max_features=max_features,
                sublinear_tf=sublinear_tf,
                dtype=np.float32,
            ),
        ))
    return FeatureUnion(parts)


class CalibratedLinearSVC(ClassifierMixin, BaseEstimator):
    """LinearSVC with Platt (sigmoid) calibration over ``cv`` folds, stored in a vectorised form.

    ``fit`` runs scikit-learn's ``CalibratedClassifierCV(LinearSVC, method="sigmoid")`` and keeps only
    the fold models' weights and sigmoid parameters, so ``predict_proba`` is one sparse-dense product
    instead of (folds x classes) small calls (it computes the same probabilities, up to float32
    rounding).  ``coef_`` (fold average) is for explanations."""

    def __init__(self, reg: float = 1.0, class_weight: str | None = "balanced", cv: int = 3,
                 random_state: int | None = None):
        self.reg = reg
        self.class_weight = class_weight
        self.cv = cv
        self.random_state = random_state

    def fit(self, X, y):  # noqa: N803 (scikit-learn's argument name)
        cal = CalibratedClassifierCV(
            LinearSVC(C=self.reg, class_weight=self.class_weight, random_state=self.random_state),
            method="sigmoid", cv=self.cv,
        ).fit(X, y)
        self.classes_ = cal.classes_
        n_cls = len(self.classes_)
        cols, icpt, a, b, col_class, col_fold = [], [], [], [], [], []
        coef_sum = None
        for f, cc in enumerate(cal.calibrated_classifiers_):
            est = cc.estimator
            targets = [1] if n_cls == 2 else list(np.searchsorted(self.classes_, est.classes_))
            for row, (cls_i, calib) in enumerate(zip(targets, cc.calibrators, strict=True)):
                cols.append(est.coef_[row])
                icpt.append(est.intercept_[row])
                a.append(calib.a_)
                b.append(calib.b_)
                col_class.append(int(cls_i))
                col_fold.append(f)
            full = np.zeros((1 if n_cls == 2 else n_cls, est.coef_.shape[1]))
            if n_cls == 2:
                full[0] = est.coef_[0]
            else:
                full[targets] = est.coef_
            coef_sum = full if coef_sum is None else coef_sum + full
        self.n_folds_ = len(cal.calibrated_classifiers_)
        self.weights_ = np.asarray(cols, dtype=np.float32).T.copy()  # (n_features, columns)
        self.intercepts_ = np.asarray(icpt, dtype=np.float64)
        self.sigmoid_a_ = np.asarray(a, dtype=np.float64)
        self.sigmoid_b_ = np.asarray(b, dtype=np.float64)
        self.column_class_ = np.asarray(col_class)
        self.column_fold_ = np.asarray(col_fold)
        self.coef_ = coef_sum / self.n_folds_
        self.n_features_in_ = self.weights_.shape[0]
        return self

    def predict_proba(self, X):  # noqa: N803
        d = np.asarray(X @ self.weights_, dtype=np.float64) + self.intercepts_
        s = expit(-(self.sigmoid_a_ * d + self.sigmoid_b_))
        n, n_cls = d.shape[0], len(self.classes_)
        proba = np.zeros((self.n_folds_, n, n_cls))
        proba[self.column_fold_, :, self.column_class_] = s.T
        if n_cls == 2:
            proba[:, :, 0] = 1.0 - proba[:, :, 1]
        else:
            total = proba.sum(axis=2, keepdims=True)
            proba = np.divide(proba, total, out=np.full_like(proba, 1.0 / n_cls), where=total != 0)
        return proba.mean(axis=0)

    def predict(self, X):  # noqa: N803
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def build_estimator(model: str = "logreg", reg: float = 4.0, class_weight: str | None = "balanced",
                    seed: int = 42):
    """A linear classifier with ``predict_proba``: multinomial logistic regression, or a LinearSVC
    calibrated with Platt scaling (3-fold)."""
    if model == "logreg":
        return LogisticRegression(C=reg, max_iter=2000, class_weight=class_weight, random_state=seed)
    if model == "svc":
        return CalibratedLinearSVC(reg=reg, class_weight=class_weight, cv=3, random_state=seed)
    if model == "svc_raw":
        return LinearSVC(C=reg, class_weight=class_weight, random_state=seed)
    raise ValueError(f"unknown model {model!r}")


def build_pipeline(*, model: str = "logreg", reg: float = 4.0, class_weight: str | None = "balanced",
                   seed: int = 42, **feature_params) -> Pipeline:
    """One head: features -> linear classifier."""
    return Pipeline([
        ("features", build_features(**feature_params)),
        ("clf", build_estimator(model, reg, class_weight, seed)),
    ])


def linear_coef(clf) -> tuple[np.ndarray, np.ndarray] | None:
    """(coef [n_classes_or_1, n_features], classes) of a fitted linear classifier, or None."""
    if hasattr(clf, "coef_"):
        return np.asarray(clf.coef_), clf.classes_
    if isinstance(clf, CalibratedClassifierCV):
        coefs = [c.estimator.coef_ for c in clf.calibrated_classifiers_ if hasattr(c.estimator, "coef_")]
        if coefs:
            return np.mean(coefs, axis=0), clf.classes_
    return None


def feature_names(features: FeatureUnion) -> np.ndarray:
    names = []
    for name, vec in features.transformer_list:
        prefix = "" if name == "word" else "~"
        names.extend(prefix + f for f in vec.get_feature_names_out())
    return np.asarray(names, dtype=object)

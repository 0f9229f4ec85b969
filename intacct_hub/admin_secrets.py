"""Admin forms for models that hold secrets: write-only fields, never rendered back."""

from django import forms


def secret_formfield(label):
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Stored encrypted and never shown again. Leave blank to keep the "
        "current value.",
    )


class SecretFieldsForm(forms.ModelForm):
    """A ModelForm whose ``secret_fields`` are write-only."""

    secret_fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.secret_fields:
            if name not in self.fields:
                continue
            model_field = self._meta.model._meta.get_field(name)
            self.fields[name] = secret_formfield(model_field.verbose_name.capitalize())
            # The form's initial data would otherwise carry the plaintext.
            self.initial.pop(name, None)

    def clean(self):
        cleaned = super().clean()
        for name in self.secret_fields:
            if name in cleaned and not cleaned[name] and self.instance.pk:
                cleaned[name] = getattr(self.instance, name)
        return cleaned


def secret_status(value):
    return "set" if value else "not set"

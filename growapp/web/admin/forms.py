from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField
from wtforms.validators import DataRequired, Length

ROLE_CHOICES = [("operator", "Operator — does all experiment work"),
                ("viewer", "Viewer — reads only"),
                ("admin", "Admin — also manages users")]


class InviteForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    role = SelectField("Role", choices=ROLE_CHOICES, default="operator")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=[(v, v.title()) for v, _ in ROLE_CHOICES])
    active = SelectField("Status", choices=[("1", "Active"), ("0", "Deactivated")])

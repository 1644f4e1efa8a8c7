from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField
from wtforms.validators import DataRequired, Length

ROLE_CHOICES = [("operator", "Operator"),
                ("viewer", "Viewer"),
                ("admin", "Admin")]


class InviteForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    role = SelectField("Role", choices=ROLE_CHOICES, default="operator")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)
    active = SelectField("Status", choices=[("1", "Active"), ("0", "Deactivated")])

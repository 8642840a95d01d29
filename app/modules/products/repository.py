from app.core.repository import BaseRepository
from app.modules.products.models import Product


class ProductRepository(BaseRepository[Product]):
    model = Product
